CREATE TABLE `model_checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model` text NOT NULL,
	`label` text,
	`shard_checkpoints` text NOT NULL,
	`versions` text NOT NULL,
	`created_at` integer NOT NULL
);
