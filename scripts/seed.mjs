// Demo data, created through the public API (the same paths clients use), so it passes every rule a
// real client's data would. Run once by `npm start` on a fresh state directory, which keeps the demo agencies'
// credentials (their secrets are stored only hashed) to show them on every start and in `npm run demo`.

/** The demo agencies' client credentials, written by `npm start` when it seeds: their secrets are stored only
 * hashed, so this file is the one copy (local state, like the data they sign in to). */
export const DEMO_CREDENTIALS = ".wrangler/state/veche-demo-agencies.json";

export const DEMO_USERS = [
  { phone: "+79990000001", displayName: "Анна Петрова", username: "anna" },
  { phone: "+79990000002", displayName: "Борис Иванов", username: "boris" },
  { phone: "+79990000003", displayName: "Вера Смирнова", username: "vera" },
];

/** The demo agencies' record types: names and claim labels in Russian and English, with formats. */
export const DEMO_RECORD_TYPES = {
  driving_licence: {
    name: { ru: "Водительское удостоверение", en: "Driving licence" },
    claims: {
      given_name: { label: { ru: "Имя", en: "Given name" } },
      family_name: { label: { ru: "Фамилия", en: "Family name" } },
      birthdate: { label: { ru: "Дата рождения", en: "Date of birth" }, format: "date" },
      categories: {
        label: { ru: "Категории", en: "Categories" },
        format: "enum",
        values: {
          A: { ru: "A — мотоциклы", en: "A — motorcycles" },
          B: { ru: "B — легковые автомобили", en: "B — cars" },
          C: { ru: "C — грузовые автомобили", en: "C — lorries" },
        },
      },
      number: { label: { ru: "Номер удостоверения", en: "Licence number" } },
      valid_until: { label: { ru: "Действительно до", en: "Valid until" }, format: "date" },
    },
  },
  birth_certificate: {
    name: { ru: "Свидетельство о рождении", en: "Birth certificate" },
    claims: {
      given_name: { label: { ru: "Имя", en: "Given name" } },
      family_name: { label: { ru: "Фамилия", en: "Family name" } },
      birthdate: { label: { ru: "Дата рождения", en: "Date of birth" }, format: "date" },
      place_of_birth: { label: { ru: "Место рождения", en: "Place of birth" } },
    },
  },
};

async function api(origin, path, { token, body, method } = {}) {
  const res = await fetch(origin + path, {
    method: method ?? (body ? "POST" : "GET"),
    headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method ?? "POST"} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function signInDemo(origin, phone) {
  await api(origin, "/api/v1/auth/otp", { body: { phone } });
  const { code } = await api(origin, `/api/v1/dev/otp?phone=${encodeURIComponent(phone)}`);
  return api(origin, "/api/v1/auth/verify", { body: { phone, code, deviceName: "demo seed" } });
}

export async function seed(origin) {
  const people = [];
  for (const u of DEMO_USERS) {
    const session = await signInDemo(origin, u.phone);
    await api(origin, "/api/v1/me", {
      method: "PATCH",
      token: session.accessToken,
      body: { displayName: u.displayName, username: u.username },
    });
    people.push({ ...u, id: session.user.id, token: session.accessToken });
  }
  const [anna, boris, vera] = people;
  const post = (who, chatId, clientId, text) =>
    api(origin, `/api/v1/chats/${chatId}/messages`, { token: who.token, body: { clientId, text } });

  const { chat: direct } = await api(origin, "/api/v1/chats", { token: anna.token, body: { type: "direct", userId: boris.id } });
  await post(anna, direct.id, "seed-d1", "Привет! Ты получил квитанцию за отопление?");
  await post(boris, direct.id, "seed-d2", "Да, пришла в официальный чат ЖКХ, оплатил в одно касание.");
  await post(anna, direct.id, "seed-d3", "Отлично, я тоже сейчас оплачу 👍");

  const { chat: group } = await api(origin, "/api/v1/chats", {
    token: anna.token,
    body: { type: "group", title: "Соседи по дому", memberIds: [boris.id, vera.id] },
  });
  await post(anna, group.id, "seed-g1", "Соседи, в субботу субботник во дворе в 10:00.");
  await post(vera, group.id, "seed-g2", "Я приду, возьму перчатки и мешки.");
  await post(boris, group.id, "seed-g3", "@anna я принесу грабли.");

  const { chat: channel } = await api(origin, "/api/v1/chats", {
    token: vera.token,
    body: { type: "channel", title: "Новости района", memberIds: [anna.id, boris.id] },
  });
  await post(vera, channel.id, "seed-c1", "С понедельника меняется расписание автобуса № 12.");
  await post(vera, channel.id, "seed-c2", "Пункт выдачи паспортов работает в субботу до 15:00.");

  // Demo agencies, each reaching the demo citizens through its official chat. Their webhooks go to the
  // dev receiver, which checks signatures as an agency would, so the console shows real deliveries.
  const agency = async (name) => {
    const created = await api(origin, "/api/v1/dev/agencies", { body: { name, webhookUrl: `${origin}/api/v1/dev/webhook-sink` } });
    const { accessToken } = await api(origin, "/api/v1/agency/token", {
      body: { clientId: created.clientId, clientSecret: created.clientSecret },
    });
    return { ...created, token: accessToken };
  };
  const tax = await agency("Налоговая служба");
  const traffic = await agency("Госавтоинспекция");
  const housing = await agency("ЖКХ «Управляющая компания»");
  const registry = await agency("ЗАГС");
  const bill = (a, who, externalRef, amount, purpose, dueDate) =>
    api(origin, "/api/v1/agency/bills", {
      token: a.token,
      body: { citizenPhone: who.phone, amount, currency: "RUB", purpose, dueDate, externalRef },
    });
  await bill(tax, anna, "seed-tax-1", 125050, "Налог на имущество за 2025 год", "2026-12-01");
  await bill(housing, anna, "seed-housing-1", 482013, "Отопление и горячая вода, ноябрь", "2026-12-10");
  await bill(traffic, boris, "seed-fine-1", 50000, "Штраф: превышение скорости на 20–40 км/ч", "2026-12-15");
  // Each agency publishes its record types before issuing (PUT /api/v1/agency/record-types/:type), so
  // documents, chat messages and the verifier show names and labels rather than claim names.
  for (const [a, type, meta] of [
    [traffic, "driving_licence", DEMO_RECORD_TYPES.driving_licence],
    [registry, "birth_certificate", DEMO_RECORD_TYPES.birth_certificate],
  ])
    await api(origin, `/api/v1/agency/record-types/${encodeURIComponent(type)}`, { method: "PUT", token: a.token, body: meta });
  const record = (a, who, type, claims) =>
    api(origin, "/api/v1/agency/records", { token: a.token, body: { citizenPhone: who.phone, type, claims } });
  await record(traffic, anna, "driving_licence", {
    given_name: "Анна",
    family_name: "Петрова",
    birthdate: "1990-05-17",
    categories: ["B"],
    number: "77 00 123456",
    valid_until: "2034-05-17",
  });
  await record(registry, anna, "birth_certificate", {
    given_name: "Анна",
    family_name: "Петрова",
    birthdate: "1990-05-17",
    place_of_birth: "Москва",
  });
  // The Digital ID's proof of age: a derived claim only (as ISO mDL's age_over_NN), so a cashier checking it
  // learns that Anna is over 18 and nothing else, not even her birth date.
  await record(registry, anna, "age_confirmation", { age_over_18: true });
  // Keep this the last step: /health reports the demo ready once a consent request exists (src/dev/demo.ts).
  await api(origin, "/api/v1/agency/consent-requests", {
    token: tax.token,
    body: {
      citizenPhone: anna.phone,
      scope: "records:driving_licence",
      purpose: "Транспортный налог: сверка категорий прав",
      expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
    },
  });
  const agencies = [tax, traffic, housing, registry].map((a) => ({
    name: a.agency.name,
    clientId: a.clientId,
    clientSecret: a.clientSecret,
  }));
  return { people, agencies };
}

/** The demo agencies' sign-in lines for the console at /agency/. */
export function describeAgencies(origin, agencies) {
  const lines = agencies.map((a) => `  ${a.name}\n    clientId=${a.clientId}\n    clientSecret=${a.clientSecret}`);
  return `Demo agencies (sign in at ${origin}/agency/):\n${lines.join("\n")}`;
}
