// UI strings: Russian by default, English on request. The choice is kept in localStorage and mirrored in
// <html lang>. Strings take {name} parameters; counted ones pick a plural form with Intl.PluralRules.

import * as format from "./format";

export type Lang = "ru" | "en";
const LANG_KEY = "veche.lang";

const ru = {
  appName: "Вече",
  skipToContent: "Перейти к содержимому",
  loading: "Загрузка…",
  retry: "Повторить",
  cancel: "Отмена",
  close: "Закрыть",
  save: "Сохранить",
  saved: "Сохранено",
  back: "Назад",
  error: "Ошибка: {detail}",
  offline: "Нет соединения — переподключаемся…",
  connecting: "Подключение…",
  verified: "Проверенное ведомство",
  copy: "Копировать",
  copied: "Скопировано",

  navChats: "Чаты",
  navServices: "Услуги",
  navSettings: "Настройки",
  mainNav: "Основные разделы",

  signInTitle: "Вход в Вече",
  signInLead: "Войдите по номеру телефона — мы пришлём код в СМС.",
  phone: "Номер телефона",
  phoneHint: "Например, +7 916 123-45-67",
  getCode: "Получить код",
  code: "Код из СМС",
  codeSentTo: "Код отправлен на {phone}.",
  signIn: "Войти",
  changePhone: "Другой номер",
  devCode: "Код для разработки: {code}",
  devCodeNote: "Показывается только в режиме разработки.",
  err_invalid_code: "Неверный или уже использованный код.",
  err_too_many_attempts: "Слишком много неверных попыток — запросите новый код.",
  err_invalid_phone: "Это не похоже на номер телефона.",
  err_rate_limited: "Слишком много запросов — попробуйте чуть позже.",
  err_not_found: "Не найдено.",

  chatsTitle: "Чаты",
  noChats: "Пока нет чатов. Начните новый.",
  newChat: "Новый чат",
  newDirect: "Личный чат",
  secretChat: "Секретный чат",
  secretHint: "Имя пользователя собеседника. Сообщения шифруются на ваших устройствах — сервер их прочитать не может.",
  secretPreview: "Зашифрованное сообщение",
  newGroup: "Группа",
  newChannel: "Канал",
  username: "Имя пользователя",
  usernameHint: "Имя пользователя, имя из ваших контактов или номер телефона. Так же открывается публичный канал по его имени.",
  title: "Название",
  members: "Участники",
  membersHint: "Найдите людей по имени пользователя, имени из контактов или номеру, или введите имена пользователей через запятую",
  create: "Создать",
  start: "Начать",
  userNotFound: "Пользователь @{username} не найден",
  unread: { one: "{count} непрочитанное", few: "{count} непрочитанных", many: "{count} непрочитанных", other: "{count} непрочитанных" },
  noMessagesYet: "Сообщений пока нет",
  youPrefix: "Вы: ",
  attachment: "Вложение",
  deletedMessage: "Сообщение удалено",
  deletedAccount: "Удалённый аккаунт",
  untitledChat: "Без названия",
  chatTypeGroup: "Группа",
  chatTypeChannel: "Канал",
  chatTypeOfficial: "Официальный чат",
  memberCount: { one: "{count} участник", few: "{count} участника", many: "{count} участников", other: "{count} участника" },
  subscriberCount: { one: "{count} подписчик", few: "{count} подписчика", many: "{count} подписчиков", other: "{count} подписчика" },
  channelPublicName: "Публичная ссылка (необязательно)",
  channelPublicNameHint:
    "3–32 латинские буквы, цифры или _, начиная с буквы. По этому имени канал найдёт любой. Оставьте пустым, чтобы канал был закрытым.",
  channelNotFound: "Канал @{username} не найден. Возможно, он закрытый или ссылка изменилась.",
  joinChannel: "Подписаться",
  openChannel: "Открыть канал",
  channelLink: "Ссылка на канал",
  latestPosts: "Последние публикации",
  noPostsYet: "Публикаций пока нет",
  inviteTitle: "Приглашение",
  inviteLead: "Вас пригласили в чат по ссылке.",
  inviteAccept: "Присоединиться",
  makeInviteLink: "Создать пригласительную ссылку",
  inviteLink: "Пригласительная ссылка",
  inviteInvalid: "Эта пригласительная ссылка больше не действует: её отозвали или в ней ошибка.",
  err_banned: "Администраторы этого чата закрыли вам доступ.",
  channelSettings: "Управление каналом",
  aboutChannel: "О канале",
  channelName: "Название канала",
  rename: "Переименовать",
  publicName: "Публичная ссылка",
  publicNameLabel: "Публичное имя канала",
  publicNameHint: "3–32 латинские буквы, цифры или _, начиная с буквы. По этому имени канал найдёт и прочитает любой.",
  publicNameInvalid: "Такое имя не подходит: нужно 3–32 латинские буквы, цифры или _, начиная с буквы.",
  makePublic: "Сделать публичным",
  changePublicName: "Сменить имя",
  makePrivate: "Сделать канал закрытым",
  channelNowPublic: "Канал стал публичным — ссылкой можно делиться.",
  channelNowPrivate: "Канал стал закрытым. Подписчики остались, пригласительные ссылки работают.",
  channelIsPrivate: "Канал закрытый: в него попадают только по пригласительной ссылке.",
  inviteLinks: "Пригласительные ссылки",
  inviteLinksHint: "По ссылке в канал войдёт любой, у кого она есть, пока вы её не отзовёте.",
  inviteMade: "Ссылка от {date}",
  inviteNew: "новая",
  inviteUses: "присоединились: {count}",
  subscribers: "Подписчики",
  you: "Вы",
  memberNoName: "Без имени",
  roleOwner: "владелец",
  roleAdmin: "администратор",
  roleSubscriber: "подписчик",
  makeAdmin: "Сделать администратором",
  removeAdmin: "Снять права администратора",
  madeAdmin: "{name} теперь администратор.",
  madeSubscriber: "{name} больше не администратор.",
  ban: "Заблокировать",
  unban: "Разблокировать",
  bannedDone: "Доступ закрыт: {name} больше не сможет вернуться в канал.",
  unbannedDone: "Доступ открыт: {name} снова может подписаться на канал.",
  bannedList: "Заблокированные",
  noBans: "Никто не заблокирован.",
  transferChannel: "Передать канал",
  transferConfirm:
    "Передать канал {name}? {name} станет владельцем, а вы останетесь администратором. Вернуть канал сможет только новый владелец.",
  transferYes: "Да, передать",
  transferred: "Канал передан: {name} теперь владелец, вы — администратор.",
  showMore: "Показать ещё",
  leaveChannel: "Покинуть канал",
  leaveConfirm: "Покинуть канал? Вернуться можно по ссылке или приглашению.",
  leaveConfirmOwner: "Покинуть канал? Он перейдёт к администратору (или к самому давнему подписчику).",
  leaveYes: "Покинуть",

  messages: "Сообщения",
  loadOlder: "Загрузить ранние сообщения",
  beginning: "Начало переписки",
  messageLabel: "Сообщение",
  composerPlaceholder: "Сообщение…",
  send: "Отправить",
  attach: "Прикрепить файл",
  uploading: "Загрузка файла {name}",
  uploadFailed: "Не удалось загрузить файл: {detail}",
  replyingTo: "Ответ на сообщение",
  editing: "Редактирование",
  cancelReply: "Отменить ответ (Esc)",
  cancelEdit: "Отменить редактирование (Esc)",
  reply: "Ответить",
  forward: "Переслать",
  edit: "Изменить",
  delete: "Удалить",
  deleteConfirm: "Удалить сообщение для всех?",
  react: "Реакция {emoji}",
  moreActions: "Действия с сообщением",
  reactions: "Реакции",
  edited: "изменено",
  views: { one: "{count} просмотр", few: "{count} просмотра", many: "{count} просмотров", other: "{count} просмотра" },
  forwarded: "Переслано",
  sending: "Отправляется…",
  sent: "Отправлено",
  read: "Прочитано",
  notSent: "Не отправлено ({code})",
  dismiss: "Убрать",
  typing: "{names} печатает…",
  typingMany: "Несколько человек печатают…",
  readOnly: "Только ведомство пишет в этот чат.",
  channelReadOnly: "Писать в канал могут только администраторы.",
  search: "Поиск",
  searchInChat: "Поиск в чате",
  searchNoResults: "Ничего не найдено",
  forwardTo: "Переслать в чат",
  download: "Скачать {name}",
  photo: "Фото",
  video: "Видео",
  nobodyFound: "Никого не нашли",
  peopleFound: "Найденные люди",
  removePerson: "Убрать {name}",
  draftPrefix: "Черновик:",
  today: "Сегодня",
  yesterday: "Вчера",
  voiceNote: "Голосовое сообщение",
  fileNote: "Файл",
  documentNote: "Документ",
  recordVoice: "Записать голосовое сообщение",
  recordingVoice: "Идёт запись {time}",
  sendVoice: "Отправить",
  micDenied: "Нет доступа к микрофону. Разрешите его в настройках браузера.",
  newMessages: "Новые сообщения",
  jumpToLatest: "К последним сообщениям",
  chatNotFound: "Чат не найден",
  pageNotFound: "Такой страницы нет",
  backToChats: "Вернуться к чатам",
  pickChat: "Выберите чат",
  removedFromChat: "Вас удалили из этого чата.",
  leftChat: "Вы вышли из этого чата.",
  chatNotifications: "Уведомления чата",
  mute1h: "Без звука на 1 час",
  mute8h: "Без звука на 8 часов",
  muteForever: "Без звука навсегда",
  unmute: "Включить уведомления",
  muted: "Без звука",
  mutedUntil: "Без звука до {date}",
  presentationCard: "Предъявление документа",
  verify: "Проверить",
  verifying: "Проверка…",

  servicesTitle: "Госуслуги",
  todoTitle: "Что нужно сделать",
  todoNothing: "Сейчас ничего не нужно: счетов к оплате и запросов нет.",
  todoPay: "Оплатить «{purpose}» — {amount}",
  todoConsent: "{agency} просит доступ: {scope}",
  bills: "Счета",
  billsLead: "Счета от ведомств и их оплата",
  forms: "Заявления",
  formsLead: "Подать заявление и следить за статусом",
  records: "Документы",
  recordsLead: "Ваши документы и их предъявление",
  consents: "Согласия",
  consentsLead: "Кто и зачем просит доступ к документам",
  accessLog: "Журнал доступа",
  accessLogLead: "Кто и когда обращался к вашим данным",
  verifyTitle: "Проверка предъявления",
  verifyLead: "Проверить документ, который вам показали",

  noBills: "Счетов нет",
  billStatus_unpaid: "Не оплачен",
  billStatus_processing: "Обрабатывается",
  billStatus_paid: "Оплачен",
  billStatus_cancelled: "Отменён",
  dueDate: "Оплатить до {date}",
  amount: "Сумма",
  purpose: "Назначение",
  payTitle: "Оплата картой",
  sandboxNote: "Тестовый режим: карта 4242 4242 4242 4242 проходит, 4000 0000 0000 0002 отклоняется.",
  cardNumber: "Номер карты",
  cardExpiry: "Срок действия (ММ/ГГ)",
  cardCvc: "CVC",
  pay: "Оплатить {amount}",
  paying: "Оплата…",
  paid: "Оплачено",
  cardNumberInvalid: "Проверьте номер карты",
  cardExpiryInvalid: "Укажите срок в формате ММ/ГГ",
  cardCvcInvalid: "3 или 4 цифры",
  payment_declined: "Карта отклонена. Счёт не оплачен — попробуйте другую карту.",
  receipt: "Квитанция",
  receiptAgency: "Получатель",
  receiptPaidAt: "Дата оплаты",
  receiptCard: "Карта",
  receiptPayment: "Номер платежа",
  receiptSigned: "Подписанная квитанция",
  print: "Печать",
  payments: "Попытки оплаты",
  paymentStatus_succeeded: "успешно",
  paymentStatus_declined: "отклонено",
  paymentStatus_pending: "ожидает подтверждения",

  noForms: "Нет доступных заявлений",
  mySubmissions: "Мои заявления",
  availableForms: "Доступные заявления",
  noSubmissions: "Вы ещё не подавали заявлений",
  submit: "Отправить заявление",
  submitting: "Отправка…",
  submitted: "Заявление отправлено",
  fixErrors: "Исправьте ошибки в форме: {count}",
  required: "обязательно",
  yes: "Да",
  chooseOne: "Выберите…",
  listHint: "По одному значению в строке",
  submissionStatus_submitted: "Получено",
  submissionStatus_in_review: "На рассмотрении",
  submissionStatus_approved: "Одобрено",
  submissionStatus_rejected: "Отклонено",
  agencyComment: "Комментарий ведомства: {comment}",
  submittedAt: "Подано {date}",
  formVersion: "версия {version}",
  referenceNumber: "Номер заявления",
  attachedFile: "Приложенный файл",
  removeFile: "Убрать файл",
  draftSaved: "Черновик сохранён на этом устройстве ({date})",
  discardDraft: "Удалить черновик",
  err_unknown_media: "Файл не найден — загрузите его ещё раз.",
  actionState_pay_paid: "Оплачено {date}",
  actionState_pay_cancelled: "Счёт отменён ведомством",
  actionState_review_consent_approved: "Доступ разрешён {date}",
  actionState_review_consent_denied: "В доступе отказано {date}",
  actionState_review_consent_revoked: "Согласие отозвано {date}",
  actionState_view_record_revoked: "Отозван {date}",
  expired: "Истёк срок",
  validUntil: "Действителен до {date}",
  notPresentable: "Этот документ нельзя предъявить: он больше не действителен.",
  err_record_revoked: "Ведомство отозвало этот документ — его нельзя предъявить.",
  err_record_expired: "Срок действия документа истёк — его нельзя предъявить.",

  noRecords: "Документов нет",
  revoked: "Отозван",
  issuedBy: "Выдал: {agency}",
  issuedAt: "Выдан {date}",
  chooseClaims: "Что показать",
  present: "Показать выбранное",
  presentation: "Предъявление",
  presentationLead: "Покажите QR-код проверяющему или отправьте предъявление в чат. Раскрыты только выбранные поля.",
  qrLabel: "QR-код предъявления",
  kbNeedsBoth: "Для подтверждения нужны и адрес проверяющего, и его код.",
  notOnThisDevice: "Этого документа ещё нет на этом устройстве. Перенесите его с другого вашего устройства.",
  verifierAsks: "Проверяющий просит подтвердить, что документ на вашем устройстве",
  verifierAudience: "Кто проверяет (адрес)",
  verifierNonce: "Код проверяющего",
  signedByDevice: "Предъявление подтверждено этим устройством.",
  bindingOther: "На другом вашем устройстве",
  bindingNone: "Нужно выдать заново",
  bindingPending: "Ещё не привязан к устройству",
  devicesTitle: "Документы на этом устройстве",
  transferLead:
    "Некоторые документы есть только на других ваших устройствах. Перенесите их сюда — разрешить перенос нужно на старом устройстве.",
  transferAsk: "Перенести документы сюда",
  transferWaiting: "Откройте «Документы» на другом своём устройстве и разрешите перенос. Там должен быть тот же код: {code}",
  transferDone: {
    one: "Перенесён {count} документ.",
    few: "Перенесено {count} документа.",
    many: "Перенесено {count} документов.",
    other: "Перенесено {count} документа.",
  },
  transferDenied: "Перенос отклонён на другом устройстве.",
  transferRequest: "Новое устройство «{name}» просит перенести на него ваши документы.",
  transferRequestUnnamed: "Новое устройство просит перенести на него ваши документы.",
  transferCode: "Разрешайте, только если это ваше устройство и на нём тот же код: {code}",
  transferAllow: "Разрешить",
  transferDeny: "Отклонить",
  transferAllowed: "Перенос разрешён.",
  reissueHint: "Документ, которого нет ни на одном вашем устройстве, может выдать заново ведомство, которое его выдало.",
  qrTooLong: "Предъявление слишком длинное для QR-кода — отправьте его в чат или скопируйте.",
  sendToChat: "Отправить в чат",
  sentToChat: "Отправлено в чат",
  chooseChat: "Чат",
  presentationText: "Текст предъявления",
  pastePresentation: "Вставьте предъявление (SD-JWT)",
  verifyValid: "Подлинный документ",
  verifyInvalid: "Документ не прошёл проверку ({error})",
  verifyRevoked: "Документ отозван ведомством",
  verifyIssuer: "Выдал: {issuer}",
  verifyType: "Тип: {type}",
  disclosedClaims: "Раскрытые сведения",
  unknownIssuer: "неизвестное ведомство",

  noConsents: "Запросов согласия нет",
  consentStatus_requested: "Ожидает ответа",
  consentStatus_approved: "Разрешено",
  consentStatus_denied: "Отказано",
  consentStatus_revoked: "Отозвано",
  consentStatus_expired: "Истекло",
  consentScope: "Доступ: {scope}",
  consentUntil: "До {date}",
  approve: "Разрешить",
  deny: "Отказать",
  revoke: "Отозвать",
  scopeAllRecords: "все документы",

  logEmpty: "К вашим данным ещё никто не обращался.",
  chainChecking: "Проверяем цепочку записей…",
  chainVerified: {
    one: "Цепочка проверена в браузере: {count} запись, последняя {head}…",
    few: "Цепочка проверена в браузере: {count} записи, последняя {head}…",
    many: "Цепочка проверена в браузере: {count} записей, последняя {head}…",
    other: "Цепочка проверена в браузере: {count} записи, последняя {head}…",
  },
  chainBroken: "Цепочка нарушена на записи № {seq}: журнал мог быть изменён.",
  chainHeadMismatch: "Последняя запись не совпадает с заявленной сервером головой цепочки.",
  action_read: "просмотр",
  action_create: "создание",
  action_update: "изменение",
  action_cancel: "отмена",
  action_revoke: "отзыв",
  action_request: "запрос",
  logPurpose: "Цель: {purpose}",
  logHash: "Хэш записи",

  settingsTitle: "Настройки",
  profile: "Профиль",
  displayName: "Имя",
  usernameTaken: "Это имя пользователя уже занято",
  usernameInvalid: "3–32 латинские буквы, цифры или _, начиная с буквы",
  phoneVisibility: "Кто видит мой номер",
  visibility_nobody: "Никто",
  visibility_everyone: "Все",
  visibility_contacts: "Мои контакты",
  privacyLink: "Конфиденциальность и блокировки",
  privacyTitle: "Конфиденциальность",
  privacySettings: "Кто может",
  privacyContactsNote: "«Мои контакты» — люди, которых вы сами добавили в контакты.",
  privacyGroupInvites: "Добавлять меня в группы и каналы",
  privacyDirectMessages: "Начинать со мной личный чат",
  privacyLastSeen: "Видеть, когда я в сети",
  privacyPhone: "Видеть мой номер телефона",
  privacySaved: "Настройки применены",
  contactsTitle: "Контакты",
  noContacts: "В контактах пока никого нет.",
  addContactLabel: "Добавить в контакты по имени пользователя",
  addContact: "Добавить в контакты",
  removeContact: "Убрать из контактов",
  contactAdded: "Добавлено в контакты",
  contactRemoved: "Убрано из контактов",
  blockedTitle: "Заблокированные",
  noBlocked: "Вы никого не заблокировали.",
  blockedAt: "Заблокирован(а) {date}",
  block: "Заблокировать",
  unblock: "Разблокировать",
  blockConfirm: "Заблокировать {name}? Этот человек не сможет писать вам, добавлять вас в группы и видеть, когда вы в сети.",
  blockedDone: "Заблокировано",
  unblocked: "Разблокировано",
  report: "Пожаловаться",
  reportMessage: "Жалоба на сообщение",
  reportReason: "Причина жалобы",
  reason_spam: "Спам или реклама",
  reason_abuse: "Оскорбления или травля",
  reason_violence: "Насилие или угрозы",
  reason_illegal: "Незаконные материалы",
  reason_other: "Другое",
  reportComment: "Комментарий (необязательно)",
  sendReport: "Отправить жалобу",
  reportSent: "Жалоба отправлена. Её рассмотрит модератор Вече.",
  aboutPeer: "О собеседнике",
  someone: "Пользователь",
  online: "В сети",
  lastSeenAt: "Был(а) в сети {date}",
  lastSeenLongAgo: "Был(а) в сети давно",
  notSentBlocked: "Не отправлено: собеседник ограничил сообщения от вас",
  err_blocked: "Этот человек ограничил общение с вами.",
  err_privacy_restricted: "Настройки конфиденциальности этого человека не позволяют это сделать.",
  devices: "Устройства",
  thisDevice: "это устройство",
  lastUsed: "Активно {date}",
  revokeDevice: "Завершить сеанс",
  language: "Язык",
  signOut: "Выйти",
  notifications: "Уведомления",
  pushThisDevice: "Уведомления на этом устройстве",
  pushThisDeviceHint: "О новых сообщениях, счетах, документах и заявлениях, когда Вече закрыто или свёрнуто.",
  pushPreviews: "Показывать текст сообщений",
  pushPreviewsHint: "Если выключено, в уведомлении видно только, кто написал, — но не что.",
  pushUnsupported: "Этот браузер не умеет показывать уведомления.",
  pushDenied: "Уведомления для Вече запрещены в настройках браузера. Разрешите их там, чтобы включить.",
  pushEnabled: "Уведомления включены",
  pushDisabled: "Уведомления выключены",

  myData: "Мои данные",
  myDataLead:
    "Архив со всем, что Вече хранит о вас: профиль, устройства, чаты и ваши сообщения, файлы, счета, документы, заявления, согласия и журнал доступа.",
  downloadData: "Скачать мои данные",
  preparingData: "Готовим архив…",
  dataDownloaded: "Архив скачан",
  deleteAccount: "Удалить аккаунт",
  deleteTitle: "Удалить аккаунт навсегда?",
  deleteGone:
    "Будут удалены: имя, имя пользователя и номер телефона в профиле, ваши сообщения (у собеседников они станут удалёнными), ваши файлы, участие в группах и каналах; все устройства выйдут из аккаунта.",
  deleteKeptLead: "Останутся, потому что ведомства обязаны хранить их по закону:",
  kept_bills: "счета и платежи (только тип карты и последние четыре цифры)",
  kept_records: "выданные вам документы и квитанции",
  kept_submissions: "ваши заявления и приложенные к ним файлы",
  kept_consents: "согласия на доступ к документам",
  kept_accessLog: "журнал доступа — его записи связаны цепочкой хэшей и остаются проверяемыми",
  deleteAfter: "Номер освободится: войти с ним можно будет как новый пользователь. Восстановить аккаунт нельзя.",
  deleteAccountConfirm: "Удалить навсегда",

  callOutgoing: "Исходящий звонок",
  callOutgoingVideo: "Исходящий видеозвонок",
  callIncoming: "Входящий звонок",
  callIncomingVideo: "Входящий видеозвонок",
  callMissed: "Пропущенный звонок",
  callNoAnswer: "Звонок без ответа",
  callDeclinedByPeer: "Звонок отклонён",
  callDeclinedByMe: "Отклонённый звонок",
  callPeerBusy: "Абонент занят",
  callVoice: "Аудиозвонок",
  callVideo: "Видеозвонок",
  callRinging: "Вызов…",
  callConnecting: "Соединение…",
  callIncomingFrom: "Звонит {name}",
  callIncomingVoiceLabel: "Входящий аудиозвонок",
  callAnswer: "Ответить",
  callDecline: "Отклонить",
  callHangUp: "Завершить",
  callMicOff: "Выключить микрофон",
  callMicOn: "Включить микрофон",
  callCamOff: "Выключить камеру",
  callCamOn: "Включить камеру",
  callPeerMuted: "Собеседник выключил микрофон",
  callPeerCamOff: "Собеседник выключил камеру",
  callCode: "Код проверки",
  callCodeHint: "Сверьте код с собеседником: если он совпадает, между вами никого нет.",
  callEnded_declined: "Звонок отклонён",
  callEnded_busy: "Абонент занят",
  callEnded_no_answer: "Нет ответа",
  callEnded_cancelled: "Звонок отменён",
  callEnded_hangup: "Звонок завершён",
  callNoMedia: "Нет доступа к микрофону или камере.",
  callFailed: "Не удалось соединиться.",
  callScreen: "Звонок: {name}",
  callYou: "Вы",
};

export type Dict = typeof ru;
export type Key = keyof Dict;

/** Russian is always here; English arrives with its chunk (loadLang) the first time it is chosen. */
const DICTS: Partial<Record<Lang, Dict>> = { ru };

/** Loads a language's dictionary if it is not here yet (English is a chunk of its own). */
export async function loadLang(l: Lang): Promise<void> {
  if (!DICTS[l]) DICTS[l] = (await import("./i18n-en")).en;
}

const dict = (): Dict => DICTS[current] ?? ru;

function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === "ru" || stored === "en") return stored;
  } catch {
    // storage disabled
  }
  return "ru";
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();
document.documentElement.lang = current;

export const lang = (): Lang => current;
export const locale = (): string => (current === "ru" ? "ru-RU" : "en-GB");

/** Switches the language once its dictionary is here; listeners re-render. */
export async function setLang(next: Lang): Promise<void> {
  await loadLang(next);
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // the choice lasts for this page only
  }
  for (const l of listeners) l();
}

export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

type Params = Record<string, string | number>;
const fill = (text: string, params?: Params) => (params ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(params[k] ?? m)) : text);

/** The string for `key` in the current language, with {name} parameters filled in. */
export function t(key: Key, params?: Params): string {
  const value = dict()[key];
  if (typeof value === "string") return fill(value, params);
  const count = Number(params?.count ?? 0);
  const form = new Intl.PluralRules(locale()).select(count) as keyof typeof value;
  return fill(value[form] ?? value.other, params);
}

/** Plural forms of a counted string, as in the dictionaries above. */
export type Plural = { one: string; few?: string; many?: string; other: string };

/**
 * A feature's own strings, loaded with its lazy chunk instead of with the app (the initial JavaScript budget):
 * the same rules as `t` (current language, {name} parameters, plural forms by `count`), and every key in both
 * languages, which the types enforce.
 */
export function dictionary<K extends string>(dicts: Record<Lang, Record<K, string | Plural>>): (key: K, params?: Params) => string {
  return (key, params) => {
    const value = dicts[current][key];
    if (typeof value === "string") return fill(value, params);
    const form = new Intl.PluralRules(locale()).select(Number(params?.count ?? 0)) as keyof Plural;
    return fill(value[form] ?? value.other, params);
  };
}

/** A key built at run time (a status, an action): its string if the dictionary has one, else the raw value. */
export function tKey(prefix: string, value: string): string {
  const key = `${prefix}${value}`;
  return key in dict() ? t(key as Key) : value;
}

// Values as people read them, in the current language: src/web/lib/format.ts does the work for both apps.
export const formatMoney = (amount: number, currency: string): string => format.formatMoney(amount, currency, current);
/** A date, or a plain calendar date ("2026-12-01", read as that day wherever the reader is): "1 декабря 2026 г.". */
export const formatDate = (iso: string): string => format.formatDate(iso, current);
/** A moment in people's words: "сегодня в 08:21", "1 декабря в 08:21". */
export const formatDateTime = (iso: string): string => format.formatWhen(iso, current);
export const formatTime = (iso: string): string => new Intl.DateTimeFormat(locale(), { timeStyle: "short" }).format(new Date(iso));
