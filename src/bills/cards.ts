// Card-number checks with no dependencies, shared by the payment routes and the web client's card form.

/** Luhn checksum: catches most mistyped card numbers before anything is sent. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The brand by the card's leading digits (IIN ranges): Mir 2200–2204, Visa 4, Mastercard 51–55 and 2221–2720, Amex 34/37. */
export function cardBrand(number: string): string {
  if (/^220[0-4]/.test(number)) return "mir";
  if (/^4/.test(number)) return "visa";
  if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(number)) return "mastercard";
  if (/^3[47]/.test(number)) return "amex";
  return "card";
}
