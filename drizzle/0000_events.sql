CREATE TABLE "events" (
	"position" bigint PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "events_id_key" UNIQUE("id"),
	CONSTRAINT "events_aggregate_sequence_key" UNIQUE("aggregate_type","aggregate_id","sequence"),
	CONSTRAINT "events_aggregate_type_check" CHECK ("events"."aggregate_type" ~ '^[a-z][a-z0-9_-]{0,63}$'),
	CONSTRAINT "events_event_type_check" CHECK ("events"."event_type" ~ '^[a-z][a-z0-9_-]{0,63}\.[a-z][a-z0-9_-]{0,63}$' AND split_part("events"."event_type", '.', 1) = "events"."aggregate_type"),
	CONSTRAINT "events_sequence_check" CHECK ("events"."sequence" >= 1),
	CONSTRAINT "events_position_check" CHECK ("events"."position" >= 1),
	CONSTRAINT "events_version_check" CHECK ("events"."version" >= 1),
	CONSTRAINT "events_payload_check" CHECK (jsonb_typeof("events"."payload") = 'object'),
	CONSTRAINT "events_metadata_check" CHECK (jsonb_typeof("events"."metadata") = 'object')
);
--> statement-breakpoint
CREATE TABLE "events_head" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"last_position" bigint NOT NULL,
	"last_created_at" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "events_head_singleton_check" CHECK ("events_head"."singleton")
);
--> statement-breakpoint
CREATE TABLE "relay_checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"owner" text,
	"lease_until" timestamp (6) with time zone,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_aggregate_id_position_idx" ON "events" USING btree ("aggregate_id","position");--> statement-breakpoint
CREATE INDEX "events_aggregate_type_position_idx" ON "events" USING btree ("aggregate_type","position");--> statement-breakpoint
CREATE INDEX "events_event_type_position_idx" ON "events" USING btree ("event_type","position");--> statement-breakpoint
CREATE INDEX "events_correlation_id_position_idx" ON "events" USING btree (("metadata" ->> 'correlation_id'),"position") WHERE ("events"."metadata" ->> 'correlation_id') IS NOT NULL;--> statement-breakpoint
CREATE INDEX "events_created_at_position_idx" ON "events" USING btree ("created_at","position");