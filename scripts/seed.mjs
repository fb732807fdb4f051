// Demo data, created through the public API (the same paths clients use), so it passes every rule a
// real client's data would. Run once by `npm start` on a fresh state directory.

export const DEMO_USERS = [
  { phone: "+79990000001", displayName: "Анна Петрова", username: "anna" },
  { phone: "+79990000002", displayName: "Борис Иванов", username: "boris" },
  { phone: "+79990000003", displayName: "Вера Смирнова", username: "vera" },
];

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
  return people;
}
