// A profile's or chat's photo with "choose" and "remove": the picked image is cropped to a centred square and
// drawn again as a 512-pixel JPEG before upload, so what leaves the device is small and carries no metadata
// (the server strips a JPEG's metadata as well, src/media/bytes/jpeg.ts, and takes only JPEG photos).
import { useState } from "preact/hooks";
import { upload } from "../lib/api";
import { t } from "../lib/i18n";
import { Avatar, ErrorNote } from "../lib/ui";

const SIDE = 512;

/** The image as a square JPEG of at most SIDE pixels, or null when the browser cannot decode it. */
async function squareJpeg(file: File): Promise<File | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const crop = Math.min(bitmap.width, bitmap.height);
  const side = Math.min(SIDE, crop);
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  canvas.getContext("2d")?.drawImage(bitmap, (bitmap.width - crop) / 2, (bitmap.height - crop) / 2, crop, crop, 0, 0, side, side);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  return blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : null;
}

export function PhotoPicker({
  id,
  name,
  photo,
  label,
  onChange,
}: {
  /** The person's or chat's id (the initials' colour). */
  id: string;
  name: string;
  photo: string | null;
  /** What the photo is, for the buttons' accessible names ("Фото профиля"). */
  label: string;
  /** Saves the uploaded photo's media id, or null to remove it. */
  onChange: (mediaId: string | null) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const inputId = `photo-${id}`;

  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      setStatus(await work());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const pick = (file: File) =>
    run(async () => {
      const jpeg = await squareJpeg(file);
      if (!jpeg) return t("photoUnreadable");
      setStatus(t("photoUploading"));
      const media = await upload(jpeg, () => undefined).promise;
      await onChange(media.id);
      return t("photoUpdated");
    });

  return (
    <fieldset class="photo-picker">
      <legend class="sr-only">{label}</legend>
      <Avatar id={id} name={name} photo={photo} size="l" />
      <input
        id={inputId}
        type="file"
        accept="image/jpeg,image/png,image/webp"
        class="sr-only"
        disabled={busy}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (file) void pick(file);
        }}
      />
      <label for={inputId} class="button">
        {t("photoChoose")}
      </label>
      {photo && (
        <button
          type="button"
          class="link"
          disabled={busy}
          onClick={() =>
            run(async () => {
              await onChange(null);
              return t("photoRemoved");
            })
          }
        >
          {t("photoRemove")}
        </button>
      )}
      <span role="status" class="muted">
        {status}
      </span>
      <ErrorNote error={error} />
    </fieldset>
  );
}
