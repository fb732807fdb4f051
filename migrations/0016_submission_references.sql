ALTER TABLE `submissions` ADD `reference` text;--> statement-breakpoint
CREATE TABLE `submission_counters` (
	`agency_id` text NOT NULL,
	`year` integer NOT NULL,
	`last` integer NOT NULL,
	PRIMARY KEY(`agency_id`, `year`),
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- Written by hand: submissions made before reference numbers get theirs in the order they were made, per
-- agency and (UTC) year, and each counter continues from there, so every submission has one and none repeats.
UPDATE `submissions` SET `reference` = (
	SELECT printf('%s-%06d', r.`year`, r.`n`) FROM (
		SELECT `id`, strftime('%Y', `created_at` / 1000, 'unixepoch') AS `year`,
			ROW_NUMBER() OVER (PARTITION BY `agency_id`, strftime('%Y', `created_at` / 1000, 'unixepoch') ORDER BY `created_at`, `id`) AS `n`
		FROM `submissions`
	) r WHERE r.`id` = `submissions`.`id`
);--> statement-breakpoint
INSERT INTO `submission_counters` (`agency_id`, `year`, `last`)
	SELECT `agency_id`, CAST(strftime('%Y', `created_at` / 1000, 'unixepoch') AS integer), COUNT(*) FROM `submissions`
	GROUP BY `agency_id`, strftime('%Y', `created_at` / 1000, 'unixepoch');--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_agency_reference_uq` ON `submissions` (`agency_id`,`reference`);
