CREATE TABLE `sandbox_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_accounts_email_unique` ON `sandbox_accounts` (`email`);--> statement-breakpoint
CREATE TABLE `sandbox_authorizations` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_group` text NOT NULL,
	`client_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`state` text,
	`code_challenge` text NOT NULL,
	`scope` text NOT NULL,
	`status` text NOT NULL,
	`account_id` text,
	`code_hash` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_authorizations_code_hash_unique` ON `sandbox_authorizations` (`code_hash`);--> statement-breakpoint
CREATE TABLE `sandbox_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`parent` text,
	`data` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_records_key_idx` ON `sandbox_records` (`account_id`,`kind`,`key`);--> statement-breakpoint
CREATE INDEX `sandbox_records_parent_idx` ON `sandbox_records` (`account_id`,`kind`,`parent`);--> statement-breakpoint
CREATE TABLE `sandbox_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`provider_group` text NOT NULL,
	`grant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`account_id` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `sandbox_tokens_grant_idx` ON `sandbox_tokens` (`grant_id`);