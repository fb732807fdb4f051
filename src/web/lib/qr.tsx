// QR codes for presentations, in their own module so the encoder loads only with the records screen.
import { encode } from "uqr";
import { t } from "./i18n";

/** QR code (byte mode, low error correction) drawn as one SVG path; null when the text is too long for one. */
export function QrCode({ text, label }: { text: string; label: string }) {
  let qr: ReturnType<typeof encode>;
  try {
    qr = encode(text, { ecc: "L", border: 2 });
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
    <svg class="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
