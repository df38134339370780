CREATE TABLE "projection_checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saved_queries" (
	"name" text PRIMARY KEY NOT NULL,
	"filter" jsonb NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_queries_name_check" CHECK ("saved_queries"."name" ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
	CONSTRAINT "saved_queries_filter_check" CHECK (jsonb_typeof("saved_queries"."filter") = 'object')
);
--> statement-breakpoint
CREATE TABLE "stats_rollups" (
	"granularity" text NOT NULL,
	"bucket_start" timestamp (6) with time zone NOT NULL,
	"event_type" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "stats_rollups_pkey" PRIMARY KEY("granularity","bucket_start","event_type"),
	CONSTRAINT "stats_rollups_granularity_check" CHECK ("stats_rollups"."granularity" in ('minute', 'hour', 'day')),
	CONSTRAINT "stats_rollups_count_check" CHECK ("stats_rollups"."count" >= 0)
);
--> statement-breakpoint
CREATE INDEX "replays_created_at_idx" ON "replays" USING btree ("created_at");