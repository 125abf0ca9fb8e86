// Rewrites the port in the archive's Dockerfile. The release build guarantees exactly one
// `EXPOSE <port>` line and one HEALTHCHECK line ending in `"--port","<port>"]`; anything else
// means the archive and this installer disagree, which is a configuration failure, not a guess.
const EXPOSE = /^EXPOSE[ \t]+(\d+)(?:\/tcp)?[ \t]*$/m;
const HEALTHCHECK_PORT = /^(HEALTHCHECK[^\n]*"--port",[ \t]*")(\d+)("\][ \t]*)$/m;

export interface DockerfilePorts {
  expose: number;
  healthcheck: number;
}

export function readDockerfilePorts(text: string): DockerfilePorts {
  const exposeLines = text.match(/^EXPOSE\b.*$/gm) ?? [];
  const healthLines = text.match(/^HEALTHCHECK\b.*$/gm) ?? [];
  if (exposeLines.length !== 1)
    throw new Error(`the Dockerfile must have exactly one EXPOSE line, found ${exposeLines.length}`);
  if (healthLines.length !== 1)
    throw new Error(`the Dockerfile must have exactly one HEALTHCHECK line, found ${healthLines.length}`);
  const expose = EXPOSE.exec(text);
  const health = HEALTHCHECK_PORT.exec(text);
  if (!expose) throw new Error(`the Dockerfile's EXPOSE line is not "EXPOSE <port>": ${exposeLines[0]}`);
  if (!health) throw new Error(`the Dockerfile's HEALTHCHECK does not end in "--port","<port>"]: ${healthLines[0]}`);
  return { expose: Number(expose[1]), healthcheck: Number(health[2]) };
}

export function setDockerfilePort(text: string, port: number): string {
  readDockerfilePorts(text);
  const updated = text.replace(EXPOSE, `EXPOSE ${port}`).replace(HEALTHCHECK_PORT, `$1${port}$3`);
  const after = readDockerfilePorts(updated);
  if (after.expose !== port || after.healthcheck !== port) {
    throw new Error(
      `the Dockerfile's EXPOSE (${after.expose}) and HEALTHCHECK (${after.healthcheck}) ports disagree after the rewrite`,
    );
  }
  return updated;
}
