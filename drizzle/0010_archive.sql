CREATE TABLE "archive_aggregate_segments" (
	"aggregate_id" uuid NOT NULL,
	"aggregate_type" text NOT NULL,
	"segment_id" bigint NOT NULL,
	"first_sequence" bigint NOT NULL,
	"last_sequence" bigint NOT NULL,
	"positions" bigint[] NOT NULL,
	"rows" integer[] NOT NULL,
	CONSTRAINT "archive_aggregate_segments_pkey" PRIMARY KEY("aggregate_id","aggregate_type","segment_id")
);
--> statement-breakpoint
CREATE TABLE "archive_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"dry_run" boolean NOT NULL,
	"trigger" text NOT NULL,
	"owner" text NOT NULL,
	"archived" bigint DEFAULT 0 NOT NULL,
	"deleted" bigint DEFAULT 0 NOT NULL,
	"segments" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"planned" bigint,
	"plan" jsonb,
	"error" text,
	"started_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (6) with time zone,
	CONSTRAINT "archive_runs_status_check" CHECK ("archive_runs"."status" in ('running', 'succeeded', 'failed')),
	CONSTRAINT "archive_runs_trigger_check" CHECK ("archive_runs"."trigger" in ('schedule', 'request'))
);
--> statement-breakpoint
CREATE TABLE "archive_segments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "archive_segments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"aggregate_type" text NOT NULL,
	"from_position" bigint NOT NULL,
	"to_position" bigint NOT NULL,
	"first_created_at" timestamp (6) with time zone NOT NULL,
	"last_created_at" timestamp (6) with time zone NOT NULL,
	"events" integer NOT NULL,
	"bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"key" text NOT NULL,
	"run_id" uuid NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "archive_segments_key_key" UNIQUE("key"),
	CONSTRAINT "archive_segments_range_check" CHECK ("archive_segments"."from_position" >= 1 AND "archive_segments"."to_position" >= "archive_segments"."from_position" AND "archive_segments"."events" >= 1)
);
--> statement-breakpoint
CREATE TABLE "retention_policies" (
	"aggregate_type" text PRIMARY KEY NOT NULL,
	"archive_after" text,
	"delete_after" text,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_policies_aggregate_type_check" CHECK ("retention_policies"."aggregate_type" ~ '^[a-z][a-z0-9_-]{0,63}$')
);
--> statement-breakpoint
ALTER TABLE "archive_aggregate_segments" ADD CONSTRAINT "archive_aggregate_segments_segment_id_archive_segments_id_fk" FOREIGN KEY ("segment_id") REFERENCES "public"."archive_segments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "archive_aggregate_segments_segment_idx" ON "archive_aggregate_segments" USING btree ("segment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "archive_runs_one_running_idx" ON "archive_runs" USING btree ((true)) WHERE "archive_runs"."status" = 'running' and not "archive_runs"."dry_run";--> statement-breakpoint
CREATE INDEX "archive_runs_started_at_idx" ON "archive_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "archive_segments_type_from_idx" ON "archive_segments" USING btree ("aggregate_type","from_position");--> statement-breakpoint
CREATE INDEX "archive_segments_to_idx" ON "archive_segments" USING btree ("to_position");