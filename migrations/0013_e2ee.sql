-- End-to-end encrypted chats (src/keys, docs/protocol.md "Secret chats"). Written by hand.
-- A device is one signed-in session; it publishes public keys only (an MLS signature key, an SD-JWT
-- holder key). Private keys never reach the server.
CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text,
	`mls_key` text,
	`holder_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_session_uq` ON `devices` (`session_id`);--> statement-breakpoint
CREATE INDEX `devices_user_idx` ON `devices` (`user_id`);--> statement-breakpoint
-- Each user's public key log: a hash chain built exactly as the access log's (migrations/0003), with the
-- same triggers making links a database invariant and entries append-only.
CREATE TABLE `key_log` (
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`device_id` text NOT NULL,
	`action` text NOT NULL,
	`use` text NOT NULL,
	`key` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`user_id`, `seq`),
	CHECK (`seq` >= 1),
	CHECK (`action` IN ('added', 'revoked')),
	CHECK (`use` IN ('mls', 'holder'))
);
--> statement-breakpoint
CREATE TRIGGER `key_log_links` BEFORE INSERT ON `key_log`
WHEN NOT (
	(NEW.`seq` = 1 AND NEW.`prev_hash` = '0000000000000000000000000000000000000000000000000000000000000000')
	OR EXISTS (SELECT 1 FROM `key_log` WHERE `user_id` = NEW.`user_id` AND `seq` = NEW.`seq` - 1 AND `hash` = NEW.`prev_hash`)
)
BEGIN
	SELECT RAISE(ABORT, 'key_log_broken_link');
END;
--> statement-breakpoint
CREATE TRIGGER `key_log_no_update` BEFORE UPDATE ON `key_log`
BEGIN
	SELECT RAISE(ABORT, 'key_log_append_only');
END;
--> statement-breakpoint
CREATE TRIGGER `key_log_no_delete` BEFORE DELETE ON `key_log`
BEGIN
	SELECT RAISE(ABORT, 'key_log_append_only');
END;
--> statement-breakpoint
-- MLS KeyPackages (RFC 9420 §10) a device published for others to add it to a group; each is claimed once
-- (the device's newest is kept as its last resort, src/keys/packages.ts).
CREATE TABLE `key_packages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_id` text NOT NULL,
	`user_id` text NOT NULL,
	`package` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `key_packages_device_idx` ON `key_packages` (`device_id`,`id`);
