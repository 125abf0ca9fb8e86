// Images through the Engine API: build from a tar stream (nothing is pulled), tag, list, remove.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { notFound } from './calls.ts';

export interface ImageListing {
  id: string;
  tags: string[];
}

const listing = (image: Docker.ImageInfo): ImageListing => ({
  id: image.Id,
  tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
});

export class Images {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  /** The image id a reference (id or `repo:tag`) points at, or undefined. */
  async exists(reference: string): Promise<string | undefined> {
    return (await notFound(this.#docker.getImage(reference).inspect()))?.Id;
  }

  /** Builds from a tar stream of the context; returns the image id. Build errors are thrown with the engine's message. */
  async build(
    context: Readable,
    tags: string[],
    labels: Record<string, string>,
    signal?: AbortSignal,
    onLine?: (line: string) => void,
  ): Promise<string> {
    const [first, ...rest] = tags;
    const stream = (await this.#docker.buildImage(
      context as unknown as NodeJS.ReadableStream,
      {
        t: first,
        labels,
        rm: true,
        forcerm: true,
        pull: false,
        abortSignal: signal,
      } as Docker.ImageBuildOptions,
    )) as NodeJS.ReadableStream;
    let imageId: string | undefined;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (!line) continue;
          let event: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } };
          try {
            event = JSON.parse(line);
          } catch {
            continue;
          }
          if (event.error) return reject(new Error(event.errorDetail?.message ?? event.error));
          if (event.aux?.ID) imageId = event.aux.ID;
          if (event.stream) onLine?.(event.stream.trimEnd());
        }
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const id = imageId ?? (await this.exists(first ?? ''));
    if (!id) throw new Error('the engine finished the build without reporting an image');
    for (const tag of rest) await this.tag(id, tag);
    return id;
  }

  /** Points `repo:tag` at an image id (moving the tag off whatever had it). */
  async tag(imageId: string, reference: string): Promise<void> {
    const [repo, tag] = splitTag(reference);
    await this.#docker.getImage(imageId).tag({ repo, tag });
  }

  /** Removes an image by id or reference; one still in use (409) or gone (404) is left alone: false. */
  async remove(reference: string): Promise<boolean> {
    const removed = this.#docker
      .getImage(reference)
      .remove({ noprune: false })
      .then(() => true);
    return (await notFound(removed, [409])) ?? false;
  }

  /** Image ids (with their tags) in one repository. */
  async ofRepository(repo: string): Promise<ImageListing[]> {
    return (await this.#docker.listImages({ filters: JSON.stringify({ reference: [repo] }) })).map(listing);
  }

  /** Images carrying a label (`key=value`), tagged or not. */
  async labelled(label: string): Promise<ImageListing[]> {
    return (await this.#docker.listImages({ all: false, filters: JSON.stringify({ label: [label] }) })).map(listing);
  }
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/')
    ? [reference.slice(0, colon), reference.slice(colon + 1)]
    : [reference, 'latest'];
}
