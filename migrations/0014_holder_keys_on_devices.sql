-- Holder keys move to the citizens' devices (issue 14). The server keeps no citizen holder private key:
-- the old per-citizen server-held keys (holder_keys, sealed private JWKs) are dropped outright, and with them
-- the only way anyone could sign a key-binding JWT for a citizen without the citizen's device.
DROP TABLE `holder_keys`;
--> statement-breakpoint
-- When a record was first bound to a device key. NULL for a record issued while the citizen had no device
-- key, and for every record issued before this migration (their credentials were bound to the dropped
-- server-held key): the platform re-issues those under the issuing agency's key to the citizen's device keys
-- as soon as a device publishes one (src/records/holders.ts). Once set, a new device gets the record only
-- through a transfer approved on an old device or a re-issue by the agency.
ALTER TABLE `records` ADD `bound_at` integer;
--> statement-breakpoint
-- One credential per record and active holder device, each with the device's key as `cnf.jwk`.
CREATE TABLE `record_credentials` (
	`record_id` text NOT NULL,
	`device_id` text NOT NULL,
	`user_id` text NOT NULL,
	`holder_jwk` text NOT NULL,
	`credential` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`record_id`, `device_id`),
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `record_credentials_device_idx` ON `record_credentials` (`device_id`);
--> statement-breakpoint
CREATE INDEX `record_credentials_user_idx` ON `record_credentials` (`user_id`);
--> statement-breakpoint
-- A new device asking for the citizen's records; an old device approves by signing the new device's key.
CREATE TABLE `holder_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`to_device_id` text NOT NULL,
	`to_holder_jwk` text NOT NULL,
	`device_name` text,
	`status` text NOT NULL,
	`approved_by` text,
	`signature` text,
	`records` integer,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `holder_transfers_user_idx` ON `holder_transfers` (`user_id`,`status`);
--> statement-breakpoint
-- A device that signs out, is revoked, or replaces its holder key loses its credentials at that moment, in
-- whatever code path ends it (src/keys, src/auth); expired sessions are swept by the scheduled prune.
CREATE TRIGGER `record_credentials_device_ended` AFTER UPDATE OF `revoked_at`, `holder_key` ON `devices`
WHEN NEW.`revoked_at` IS NOT NULL OR NEW.`holder_key` IS NOT OLD.`holder_key`
BEGIN
	DELETE FROM `record_credentials` WHERE `device_id` = NEW.`id` AND (NEW.`revoked_at` IS NOT NULL OR `holder_jwk` IS NOT NEW.`holder_key`);
	UPDATE `holder_transfers` SET `status` = 'denied', `decided_at` = CAST(unixepoch('subsec') * 1000 AS integer)
		WHERE `to_device_id` = NEW.`id` AND `status` = 'pending';
END;
