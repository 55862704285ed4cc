CREATE TABLE `kb_chunks` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`document_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`text` text NOT NULL,
	`heading_path` text DEFAULT '[]' NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	`tokens` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`document_id`) REFERENCES `kb_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `kb_chunks_document_ordinal_idx` ON `kb_chunks` (`document_id`,`ordinal`);--> statement-breakpoint
CREATE INDEX `kb_chunks_user_idx` ON `kb_chunks` (`user_id`);--> statement-breakpoint
CREATE TABLE `kb_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text NOT NULL,
	`mime_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`status` text NOT NULL,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`error` text,
	`content_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`indexing_started_at` integer,
	`embedder` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `kb_documents_user_created_idx` ON `kb_documents` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `kb_documents_status_started_idx` ON `kb_documents` (`status`,`indexing_started_at`);--> statement-breakpoint
CREATE TABLE `kb_indexes` (
	`user_id` text PRIMARY KEY NOT NULL,
	`embedder` text NOT NULL,
	`dimensions` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `kb_texts` (
	`document_id` text NOT NULL,
	`part` integer NOT NULL,
	`content` text NOT NULL,
	PRIMARY KEY(`document_id`, `part`),
	FOREIGN KEY (`document_id`) REFERENCES `kb_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Keyword index over the chunks (BM25 ranking, snippets). External content:
-- the text is stored once, in kb_chunks; the two triggers below keep the
-- index in step with every insert and delete, including the cascade from a
-- deleted document or user. Plain trigger bodies only: wrangler's migration
-- splitter has mis-split bodies containing CASE … END. `user_id` is indexed
-- too, so a search matches `user_id:"…" AND (terms)` and FTS5 intersects the
-- user's postings first: one user's search never scores another's chunks.
CREATE VIRTUAL TABLE `kb_chunks_fts` USING fts5(`text`, `heading_path`, `user_id`, content='kb_chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_insert` AFTER INSERT ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(rowid, `text`, `heading_path`, `user_id`) VALUES (new.rowid, new.`text`, new.`heading_path`, new.`user_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_delete` AFTER DELETE ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(`kb_chunks_fts`, rowid, `text`, `heading_path`, `user_id`) VALUES ('delete', old.rowid, old.`text`, old.`heading_path`, old.`user_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_update` AFTER UPDATE ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(`kb_chunks_fts`, rowid, `text`, `heading_path`, `user_id`) VALUES ('delete', old.rowid, old.`text`, old.`heading_path`, old.`user_id`);
  INSERT INTO `kb_chunks_fts`(rowid, `text`, `heading_path`, `user_id`) VALUES (new.rowid, new.`text`, new.`heading_path`, new.`user_id`);
END;
