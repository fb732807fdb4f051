CREATE TABLE `media` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`content_type` text NOT NULL,
	`kind` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text,
	`filename` text,
	`width` integer,
	`height` integer,
	`duration_ms` integer,
	`thumbhash` text,
	`status` text NOT NULL,
	`r2_upload_id` text,
	`part_size` integer,
	`created_at` integer NOT NULL,
	`attached_at` integer
);
--> statement-breakpoint
CREATE INDEX `media_owner_idx` ON `media` (`owner_id`);--> statement-breakpoint
CREATE INDEX `media_cleanup_idx` ON `media` (`attached_at`,`created_at`);--> statement-breakpoint
CREATE TABLE `media_grants` (
	`media_id` text NOT NULL,
	`chat_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`media_id`, `chat_id`),
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `media_parts` (
	`media_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`etag` text NOT NULL,
	`size` integer NOT NULL,
	PRIMARY KEY(`media_id`, `part_number`),
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `media_usage` (
	`user_id` text NOT NULL,
	`day` text NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`user_id`, `day`)
);
