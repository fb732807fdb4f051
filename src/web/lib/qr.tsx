// QR codes for presentations, in their own module so the encoder loads only with the records screen.
import { encode } from "uqr";
import { t } from "./i18n";

/**
 * QR code (byte mode) drawn as one SVG path, with the standard 4-module quiet zone; a note instead when the
 * text is too long for one. The version (size) is the smallest that holds the text at error correction L, and
 * the correction is then raised as far as that version allows (uqr's boostEcc). Measured: a Digital ID code
 * (one disclosure and the KB-JWT) is ~1,400–1,650 characters (the issuer adds 2–5 decoy digests), version
 * 27–30 (133–145 modules with the quiet zone) at L; at ~1,570 characters M needs version 33 and Q version 39,
 * so L it is for those: a screen shows a clean, flat code, where the extra correction buys little and the
 * denser code costs readability. Shorter texts get M or better at no cost in size. `large`: drawn bigger, for
 * codes meant to be scanned off this screen.
 */
export function QrCode({ text, label, large = false }: { text: string; label: string; large?: boolean }) {
  let qr: ReturnType<typeof encode>;
  try {
    qr = encode(text, { ecc: "L", boostEcc: true, border: 4 });
  } catch {
    return <p class="note">{t("qrTooLong")}</p>;
  }
  let d = "";
  qr.data.forEach((row, y) => {
    row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg
      class={large ? "qr qr-large" : "qr"}
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      role="img"
      aria-label={label}
      shape-rendering="crispEdges"
      data-version={qr.version}
    >
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
