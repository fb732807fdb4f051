// Reading QR codes: the browser's BarcodeDetector where it has one with QR support (Chrome on Android,
// ChromeOS and macOS, Safari 17+), else jsQR (a maintained pure-JS decoder) in a chunk of its own, loaded when
// the verifier opens, so scanning also works offline. The same decoder reads camera frames and uploaded images.

/** The part of the Shape Detection API used here (not in TypeScript's DOM library yet). */
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource | ImageBitmap): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorClass {
  new (opts: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

/** Reads the first QR code in a frame or image; null when there is none. */
export type Decode = (source: HTMLVideoElement | ImageBitmap) => Promise<string | null>;

/** Large enough for a version-40 code filling a third of the frame; larger frames only cost time. */
const MAX_SIDE = 1280;

let decoder: Promise<Decode> | null = null;

/** The decoder, made once: BarcodeDetector when it reads QR codes, else jsQR. */
export function qrDecoder(): Promise<Decode> {
  decoder ??= makeDecoder();
  decoder.catch(() => {
    decoder = null;
  });
  return decoder;
}

async function makeDecoder(): Promise<Decode> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  const formats: string[] = Detector ? await Detector.getSupportedFormats().catch(() => []) : [];
  if (Detector && formats.includes("qr_code")) {
    const detector = new Detector({ formats: ["qr_code"] });
    return async (source) => (await detector.detect(source))[0]?.rawValue ?? null;
  }
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("no 2D canvas");
  return async (source) => {
    const width = source instanceof HTMLVideoElement ? source.videoWidth : source.width;
    const height = source instanceof HTMLVideoElement ? source.videoHeight : source.height;
    if (!width || !height) return null;
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    // Screens show dark-on-light; a phone in dark mode may invert, so both are tried.
    return jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" })?.data ?? null;
  };
}

/** The QR code in an image file (a photo or a screenshot of the code). */
export async function decodeImage(file: Blob): Promise<string | null> {
  const decode = await qrDecoder();
  const bitmap = await createImageBitmap(file);
  try {
    return await decode(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * Scans the camera (the back one where there are several) until a code is read; answers a stop function.
 * `onCode` gets the first code; scanning stops there, so the same code is not checked twice by accident.
 */
export async function scanCamera(video: HTMLVideoElement, onCode: (text: string) => void): Promise<() => void> {
  const decode = await qrDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play().catch(() => undefined);
  const frame = async () => {
    if (stopped) return;
    try {
      const text = video.readyState >= 2 ? await decode(video) : null;
      if (text && !stopped) {
        stop();
        onCode(text);
        return;
      }
    } catch {
      // a frame that could not be read; the next one may
    }
    // About five frames a second: enough to feel instant, little enough for a cheap phone.
    timer = setTimeout(frame, 200);
  };
  void frame();
  return stop;
}
