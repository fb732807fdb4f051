-- Record types (after SD-JWT VC Type Metadata): each agency's names and claim labels for the types it
-- issues, shown to citizens, verifiers and the console. Written by hand (session 6); the lead regenerates meta.
CREATE TABLE `record_types` (
	`agency_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`claims` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`agency_id`, `type`),
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
