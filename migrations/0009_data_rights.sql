ALTER TABLE `users` ADD `released_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `former_phone` text;--> statement-breakpoint
ALTER TABLE `users` ADD `deleted_at` integer;--> statement-breakpoint
CREATE INDEX `users_former_phone_idx` ON `users` (`former_phone`);