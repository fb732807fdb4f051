CREATE TABLE `holder_keys` (
	`user_id` text PRIMARY KEY NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `records` (
	`id` text PRIMARY KEY NOT NULL,
	`agency_id` text NOT NULL,
	`citizen_id` text NOT NULL,
	`type` text NOT NULL,
	`claims` text NOT NULL,
	`credential` text NOT NULL,
	`status_idx` integer NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`citizen_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `records_status_uq` ON `records` (`agency_id`,`status_idx`);--> statement-breakpoint
CREATE INDEX `records_citizen_idx` ON `records` (`citizen_id`);