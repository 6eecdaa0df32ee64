CREATE TABLE `ledger` (
	`seq` integer PRIMARY KEY NOT NULL,
	`records` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `ledger` (`seq`, `records`) SELECT ROW_NUMBER() OVER (ORDER BY rowid), json_array(json_array(`key`, `fingerprint`, json(`outcome`), `at`)) FROM `idempotency`;
--> statement-breakpoint
DROP TABLE `idempotency`;
