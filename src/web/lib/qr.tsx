// QR codes for presentations, in their own module so the encoder loads only with the records screen.
import { encode } from "uqr";
import { t } from "./i18n";

/**
 * QR code (byte mode) drawn as one SVG path; a note instead when the text is too long for one. The version
 * (size) is the smallest that holds the text at error correction L, and the correction is then raised as far
 * as that version allows (uqr's boostEcc): a Digital ID code of ~1,300 characters is version 27–29 (125–133
 * modules) at M, which phone cameras and jsQR read off a screen, where a fixed Q or H would need ~40 % more
 * modules. `large`: drawn bigger, for codes meant to be scanned from this screen.
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
