// The steps of an install or reinstall as the installer numbers them, so that a test that signals
// the installer in a step names the step by its title and survives a step added before it.

/** The steps of a reinstall (`--force` over a healthy installation), in order. */
export const INSTALL_STEPS: readonly { title: string; slow?: boolean }[] = [
  { title: 'Checking the host and the Docker engine' },
  { title: 'Looking for an interrupted earlier run' },
  { title: 'Verifying the release archive', slow: true }, // unpacks the ~110 MB executable
  { title: 'Choosing the port' },
  { title: 'Planning' },
  { title: 'Extracting' }, // already done while verifying: only checked here
  { title: "Reserving gid 1001 for the container's group" },
  { title: 'Writing the configuration' },
  { title: 'Preparing the data folder' },
  { title: 'Installing the boot unit' },
  { title: 'Building the image', slow: true },
  { title: 'Starting the container' },
  { title: 'Waiting until the container is healthy', slow: true },
  { title: 'Handing over to the new container' }, // the point of no return: the old one drains
  { title: 'Cleaning up' },
];

/** The first step after which nothing is rolled back: the old container has been told to drain. */
export const POINT_OF_NO_RETURN = 'Handing over to the new container';

/** The 1-based number of the step with this title. */
export function stepNumber(title: string): number {
  const index = INSTALL_STEPS.findIndex((s) => s.title === title);
  if (index < 0) throw new Error(`no install step is titled "${title}"`);
  return index + 1;
}
