ALTER TABLE `oauth_states` ADD `browser_hash` text;--> statement-breakpoint
CREATE INDEX `oauth_states_user_idx` ON `oauth_states` (`user_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_used_idx` ON `refresh_tokens` (`used_at`);--> statement-breakpoint
CREATE INDEX `events_created_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `integration_events_created_idx` ON `integration_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `integrations_status_expires_idx` ON `integrations` (`status`,`expires_at`);