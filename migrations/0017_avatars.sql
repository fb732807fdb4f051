-- Profile photos and chat photos (issue 16). Each is a JPEG photo its owner uploaded through POST /media (the
-- upload strips its metadata); null for none. The indexes answer "whose photo is this?" when someone reads
-- the media (src/media/store.ts, canRead). Written by hand, like 0013 on.
ALTER TABLE `users` ADD `avatar_id` text REFERENCES `media`(`id`);--> statement-breakpoint
ALTER TABLE `chats` ADD `avatar_id` text REFERENCES `media`(`id`);--> statement-breakpoint
CREATE INDEX `users_avatar_idx` ON `users` (`avatar_id`) WHERE `avatar_id` IS NOT NULL;--> statement-breakpoint
CREATE INDEX `chats_avatar_idx` ON `chats` (`avatar_id`) WHERE `avatar_id` IS NOT NULL;
