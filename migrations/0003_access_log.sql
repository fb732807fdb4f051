-- Hash-chained access log of every citizen (src/audit/log.ts). Written by hand: drizzle cannot express
-- triggers. The triggers make the shape of the chain a database invariant (each entry links to the one
-- before it, so no fork or gap can be inserted) and refuse edits and deletions; the hashes are what
-- detects tampering by anyone able to bypass them.
CREATE TABLE `access_log` (
	`citizen_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`action` text NOT NULL,
	`resource` text NOT NULL,
	`purpose` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`citizen_id`, `seq`),
	CHECK (`seq` >= 1),
	CHECK (`actor_type` IN ('agency', 'operator', 'system'))
);
--> statement-breakpoint
CREATE TRIGGER `access_log_links` BEFORE INSERT ON `access_log`
WHEN NOT (
	(NEW.`seq` = 1 AND NEW.`prev_hash` = '0000000000000000000000000000000000000000000000000000000000000000')
	OR EXISTS (SELECT 1 FROM `access_log` WHERE `citizen_id` = NEW.`citizen_id` AND `seq` = NEW.`seq` - 1 AND `hash` = NEW.`prev_hash`)
)
BEGIN
	SELECT RAISE(ABORT, 'access_log_broken_link');
END;
--> statement-breakpoint
CREATE TRIGGER `access_log_no_update` BEFORE UPDATE ON `access_log`
BEGIN
	SELECT RAISE(ABORT, 'access_log_append_only');
END;
--> statement-breakpoint
CREATE TRIGGER `access_log_no_delete` BEFORE DELETE ON `access_log`
BEGIN
	SELECT RAISE(ABORT, 'access_log_append_only');
END;
