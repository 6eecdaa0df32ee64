CREATE TABLE `checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`label` text,
	`request_key` text,
	`version` integer NOT NULL,
	`step` integer NOT NULL,
	`revision` integer NOT NULL,
	`config` text NOT NULL,
	`schedule_origin` integer NOT NULL,
	`scalars` text NOT NULL,
	`plateau` text,
	`average_counts` text NOT NULL,
	`bytes` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `checkpoints_request_key_unique` ON `checkpoints` (`request_key`);--> statement-breakpoint
ALTER TABLE `shard` ADD `step` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Until this migration no checkpoint could be restored: every shard's step is its version.
UPDATE `shard` SET `step` = `version`;