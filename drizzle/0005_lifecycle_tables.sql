CREATE TABLE "aggregates" (
	"aggregate_id" uuid NOT NULL,
	"aggregate_type" text NOT NULL,
	"last_sequence" bigint NOT NULL,
	"first_position" bigint NOT NULL,
	"last_position" bigint NOT NULL,
	"first_retained_sequence" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "aggregates_pkey" PRIMARY KEY("aggregate_id","aggregate_type"),
	CONSTRAINT "aggregates_sequence_check" CHECK ("aggregates"."last_sequence" >= 1 AND "aggregates"."first_retained_sequence" BETWEEN 1 AND "aggregates"."last_sequence" + 1)
);
--> statement-breakpoint
CREATE TABLE "event_ids" (
	"id" uuid PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_removals" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "event_removals_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"aggregate_type" text NOT NULL,
	"from_position" bigint NOT NULL,
	"to_position" bigint NOT NULL,
	"events" bigint NOT NULL,
	"reason" text NOT NULL,
	"removed_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"removed_by" text DEFAULT current_user NOT NULL,
	CONSTRAINT "event_removals_reason_check" CHECK ("event_removals"."reason" in ('archived', 'deleted'))
);
--> statement-breakpoint
CREATE TABLE "events_partitioning" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"partition_size" bigint NOT NULL,
	"partitioned_until" bigint NOT NULL,
	CONSTRAINT "events_partitioning_singleton_check" CHECK ("events_partitioning"."singleton"),
	CONSTRAINT "events_partitioning_size_check" CHECK ("events_partitioning"."partition_size" >= 1)
);
--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_id_key";--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_aggregate_sequence_key";