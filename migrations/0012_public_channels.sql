CREATE TABLE `chat_bans` (
	`chat_id` text NOT NULL,
	`user_id` text NOT NULL,
	`banned_by` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`chat_id`, `user_id`),
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `chat_invites` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`chat_id` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_invites_token_uq` ON `chat_invites` (`token_hash`);--> statement-breakpoint
CREATE INDEX `chat_invites_chat_idx` ON `chat_invites` (`chat_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `chats` ADD `username` text;--> statement-breakpoint
CREATE UNIQUE INDEX `chats_username_uq` ON `chats` (`username`);--> statement-breakpoint
-- Users and public channels share one username namespace (as on t.me). Written by hand: drizzle-kit has no
-- triggers. The message matches the users' unique-violation check, so both sides answer 409 username_taken.
CREATE TRIGGER `chats_username_free_insert` BEFORE INSERT ON `chats`
WHEN NEW.`username` IS NOT NULL AND EXISTS (SELECT 1 FROM `users` WHERE `username` = NEW.`username`)
BEGIN
	SELECT RAISE(ABORT, 'UNIQUE constraint failed: username');
END;
--> statement-breakpoint
CREATE TRIGGER `chats_username_free_update` BEFORE UPDATE OF `username` ON `chats`
WHEN NEW.`username` IS NOT NULL AND EXISTS (SELECT 1 FROM `users` WHERE `username` = NEW.`username`)
BEGIN
	SELECT RAISE(ABORT, 'UNIQUE constraint failed: username');
END;
--> statement-breakpoint
CREATE TRIGGER `users_username_free_insert` BEFORE INSERT ON `users`
WHEN NEW.`username` IS NOT NULL AND EXISTS (SELECT 1 FROM `chats` WHERE `username` = NEW.`username`)
BEGIN
	SELECT RAISE(ABORT, 'UNIQUE constraint failed: username');
END;
--> statement-breakpoint
CREATE TRIGGER `users_username_free_update` BEFORE UPDATE OF `username` ON `users`
WHEN NEW.`username` IS NOT NULL AND EXISTS (SELECT 1 FROM `chats` WHERE `username` = NEW.`username`)
BEGIN
	SELECT RAISE(ABORT, 'UNIQUE constraint failed: username');
END;
--> statement-breakpoint
-- A chat's member count moves by one with each member row, in the same statement: no COUNT(*) over a
-- channel's members per join or leave.
CREATE TRIGGER `chat_members_count_up` AFTER INSERT ON `chat_members`
BEGIN
	UPDATE `chats` SET `member_count` = `member_count` + 1 WHERE `id` = NEW.`chat_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `chat_members_count_down` AFTER DELETE ON `chat_members`
BEGIN
	UPDATE `chats` SET `member_count` = MAX(0, `member_count` - 1) WHERE `id` = OLD.`chat_id`;
END;
