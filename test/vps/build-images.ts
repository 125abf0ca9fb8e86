// Builds (or confirms cached) every VPS image and prints how long each took.
// Usage: node --import tsx test/vps/build-images.ts [recipe...]   (VPS_BUILD_PARALLEL=N, default 2)
import { describePhases, ensureImages } from './lib/images.ts';
import { RECIPES, recipe } from './lib/recipes.ts';

const names = process.argv.slice(2);
const chosen = names.length ? names.map(recipe) : RECIPES;
const parallel = Number(process.env.VPS_BUILD_PARALLEL ?? 2);
const started = Date.now();
try {
  const builds = await ensureImages(chosen, parallel, (line) => console.log(line));
  for (const b of builds)
    console.log(
      `${b.recipe.name.padEnd(18)} ${b.work.padEnd(11)} ${b.seconds.toFixed(1).padStart(7)} s  ${describePhases(b)}  ${b.tag}`,
    );
  console.log(`all images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`build-images: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
