CREATE TABLE `config_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version` integer NOT NULL,
	`change` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency` (
	`key` text PRIMARY KEY NOT NULL,
	`fingerprint` text NOT NULL,
	`outcome` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version` integer NOT NULL,
	`value` real NOT NULL,
	`client_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `pages` (
	`slot` text NOT NULL,
	`page` integer NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`slot`, `page`)
);
--> statement-breakpoint
CREATE TABLE `shard` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`created_config` text NOT NULL,
	`version` integer NOT NULL,
	`revision` integer NOT NULL,
	`schedule_origin` integer NOT NULL,
	`scalars` text NOT NULL,
	`plateau` text,
	`average_counts` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
