CREATE TABLE `consents` (
	`id` text PRIMARY KEY NOT NULL,
	`agency_id` text NOT NULL,
	`citizen_id` text NOT NULL,
	`scope` text NOT NULL,
	`purpose` text NOT NULL,
	`expires_at` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`decided_at` integer,
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`citizen_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `consents_citizen_idx` ON `consents` (`citizen_id`);--> statement-breakpoint
CREATE INDEX `consents_agency_citizen_idx` ON `consents` (`agency_id`,`citizen_id`);