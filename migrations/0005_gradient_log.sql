CREATE TABLE `gradient_log` (
	`version` integer PRIMARY KEY NOT NULL,
	`engine` integer NOT NULL,
	`bytes` integer NOT NULL,
	`record` text NOT NULL
);
