CREATE TABLE `round_pushes` (
	`seq` integer PRIMARY KEY NOT NULL,
	`client_key` text NOT NULL,
	`sample_count` integer NOT NULL,
	`norm` real NOT NULL,
	`base_version` integer,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `round_pushes_client_key_unique` ON `round_pushes` (`client_key`);--> statement-breakpoint
ALTER TABLE `shard` ADD `stats` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `shard` ADD `round_deadline` integer;