CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`github_repo` text,
	`default_branch` text DEFAULT 'main' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `projects_user_idx` ON `projects` (`user_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `spec_log` (
	`spec_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`event` text NOT NULL,
	`phase` text,
	`message` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`spec_id`, `seq`),
	FOREIGN KEY (`spec_id`) REFERENCES `specs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `spec_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`spec_id` text NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`spec_id`) REFERENCES `specs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `spec_messages_spec_idx` ON `spec_messages` (`spec_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `spec_runs` (
	`spec_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`phase` text NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`state` text DEFAULT 'running' NOT NULL,
	`runner_state` text DEFAULT 'active' NOT NULL,
	`lease_id` text,
	`lease_until` integer,
	`heartbeat_at` integer,
	`last_work_at` integer,
	`checkpoint` text DEFAULT '{}' NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`spec_id`) REFERENCES `specs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `specs` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`title` text NOT NULL,
	`prompt` text NOT NULL,
	`status` text DEFAULT 'collecting' NOT NULL,
	`current_phase` text,
	`prd_markdown` text,
	`tasks` text DEFAULT '[]' NOT NULL,
	`branch_name` text,
	`pull_request_url` text,
	`pull_request_number` integer,
	`error` text,
	`offline` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `specs_user_idx` ON `specs` (`user_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `specs_project_idx` ON `specs` (`project_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `specs_branch_idx` ON `specs` (`branch_name`);