CREATE TABLE `models` (
	`name` text PRIMARY KEY NOT NULL,
	`manifest` text NOT NULL,
	`layout` text NOT NULL,
	`parameters` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `shards` (
	`name` text PRIMARY KEY NOT NULL,
	`model` text,
	`created_at` integer NOT NULL
);
