CREATE TABLE `asks` (
	`key` text PRIMARY KEY NOT NULL,
	`trial` integer NOT NULL,
	`lease_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reports` (
	`trial` integer NOT NULL,
	`step` real NOT NULL,
	`value` real NOT NULL,
	`metrics` text NOT NULL,
	`decision` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`trial`, `step`)
);
--> statement-breakpoint
CREATE TABLE `sweep` (
	`name` text PRIMARY KEY NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `trials` (
	`id` integer PRIMARY KEY NOT NULL,
	`search_index` integer,
	`replicate_of` integer,
	`init_seed` integer,
	`params` text NOT NULL,
	`stage` integer NOT NULL,
	`budget` real NOT NULL,
	`state` text NOT NULL,
	`value` real,
	`metrics` text,
	`reason` text,
	`unapplied` text NOT NULL,
	`lease_id` text,
	`lease_expires` integer,
	`worker` text,
	`leases` integer NOT NULL,
	`shard` text,
	`start_checkpoint` integer,
	`checkpoint` integer,
	`checkpoint_step` real,
	`needs_restore` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
