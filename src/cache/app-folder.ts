/**
 * Where the app keeps its files in a folder the user picked: never in the folder itself (a
 * ComfyUI, A1111 or InvokeAI folder has its own `models/`), but in a folder of its own inside it,
 * `diffusion-studio-cache/`, which holds a marker file the app writes when it first uses the
 * folder. Without that marker the app deletes nothing there: a folder of that name that the app
 * did not make is refused, not adopted.
 */

/** The folder the app makes for itself inside a folder the user picked. */
export const APP_FOLDER = 'diffusion-studio-cache';

/** The marker file in the app's folder (and at the root of OPFS): the app wrote what is beside it. */
export const MARKER_FILE = 'diffusion-studio.json';

/** What the marker says, for a person who opens it. */
const MARKER = {
  app: 'diffusion-studio',
  layout: 2,
  about:
    'This folder is the model cache of the browser diffusion studio. The app reads and deletes only what it wrote here: ' +
    'models/ (the official Hub), hubs/ (other hubs), partials/ (downloads under way). Deleting this file makes the app leave the folder alone.',
};

/** A picked folder already holds a `diffusion-studio-cache/` that the app did not make (no marker): it is not used. */
export class ForeignFolderError extends Error {
  override name = 'ForeignFolderError';
}

/** The app's own folder is missing its marker: nothing was deleted. */
export class MarkerMissingError extends Error {
  override name = 'MarkerMissingError';
}

function isNotFound(err: unknown): boolean {
  const name = (err as DOMException)?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
}

/** Whether `dir` holds the app's marker (a file with the app's name in it). */
export async function hasMarker(dir: FileSystemDirectoryHandle): Promise<boolean> {
  try {
    const text = await (await (await dir.getFileHandle(MARKER_FILE)).getFile()).text();
    return (JSON.parse(text) as { app?: unknown })?.app === MARKER.app;
  } catch (err) {
    if (isNotFound(err) || err instanceof SyntaxError) return false;
    throw err;
  }
}

/** Writes the marker into `dir` (the app's own folder, or OPFS's root). */
export async function writeMarker(dir: FileSystemDirectoryHandle): Promise<void> {
  const writable = await (await dir.getFileHandle(MARKER_FILE, { create: true })).createWritable();
  await writable.write(JSON.stringify(MARKER, null, 2) + '\n');
  await writable.close();
}

/**
 * The app's folder inside the folder the user picked: the picked folder itself when it is the
 * app's folder (it has the marker), else `diffusion-studio-cache/` in it, made with its marker
 * when it is not there yet.
 * @throws ForeignFolderError when `diffusion-studio-cache/` is there without the marker.
 */
export async function appFolderIn(picked: FileSystemDirectoryHandle): Promise<FileSystemDirectoryHandle> {
  if (await hasMarker(picked)) return picked;
  let own: FileSystemDirectoryHandle | undefined;
  try {
    own = await picked.getDirectoryHandle(APP_FOLDER);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (own) {
    if (await hasMarker(own)) return own;
    throw new ForeignFolderError(
      `The folder “${picked.name}” already has a “${APP_FOLDER}” folder that this app did not make (it has no ${MARKER_FILE}), ` +
        'so the app will not write or delete anything in it. Pick another folder, or rename that one.',
    );
  }
  own = await picked.getDirectoryHandle(APP_FOLDER, { create: true });
  await writeMarker(own);
  return own;
}
