CREATE TABLE `sweeps` (
	`name` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
