CREATE TABLE `submission_attachments` (
	`submission_id` text NOT NULL,
	`media_id` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`submission_id`, `media_id`),
	FOREIGN KEY (`submission_id`) REFERENCES `submissions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `submission_attachments_media_idx` ON `submission_attachments` (`media_id`);--> statement-breakpoint
ALTER TABLE `forms` ADD `prefill` text;--> statement-breakpoint
ALTER TABLE `records` ADD `expires_at` integer;--> statement-breakpoint
CREATE INDEX `records_agency_created_idx` ON `records` (`agency_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `bills_agency_created_idx` ON `bills` (`agency_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `consents_agency_created_idx` ON `consents` (`agency_id`,`created_at`);