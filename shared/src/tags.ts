import { z } from 'zod';
import { Name } from './ids.ts';

/** Labels every team has; teams may declare more (`POST /api/v1/labels`). */
export const BUILTIN_LABELS = [
  'coaching',
  'compliance',
  'praise',
  'discrepancy',
  'escalation',
] as const;

export const LabelName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(40, 'must be at most 40 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]*$/u, 'may contain letters, digits, spaces, "_" and "-"');

export const CreateLabelRequest = z.strictObject({
  name: LabelName,
  team: z.string().min(1).max(64).optional(),
});
export type CreateLabelRequest = z.infer<typeof CreateLabelRequest>;

export interface Label {
  name: string;
  /** The team that declared it, or null for a built-in label. */
  team: string | null;
}

export const TagLeg = z.enum(['agent', 'customer', 'both']);
export type TagLeg = z.infer<typeof TagLeg>;

/** Who made or changed a tag (until sign-in: the console's id and the name it gave). */
export const Author = z.object({ id: z.string().min(1).max(64), name: Name });
export type Author = z.infer<typeof Author>;

const Offset = z
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(0, 'must not be negative');
const Note = z.string().max(2000, 'must be at most 2000 characters');

/** A tag on a call, made live or afterwards: a moment (or a range) of call time. */
export const CreateTagRequest = z
  .strictObject({
    offsetMs: Offset,
    endMs: Offset.optional(),
    label: LabelName,
    note: Note.optional(),
    leg: TagLeg,
  })
  .refine((t) => t.endMs === undefined || t.endMs > t.offsetMs, {
    path: ['endMs'],
    message: 'must be after offsetMs',
  });
export type CreateTagRequest = z.infer<typeof CreateTagRequest>;

/** `tag:create` over the socket: the same, with the call. */
export const SocketCreateTagRequest = z.object({
  callId: z.string().uuid('must be a call id'),
  tag: CreateTagRequest,
});

export const UpdateTagRequest = z
  .strictObject({
    offsetMs: Offset.optional(),
    endMs: Offset.nullable().optional(),
    label: LabelName.optional(),
    note: Note.nullable().optional(),
    leg: TagLeg.optional(),
    reviewed: z.boolean().optional(),
    coached: z.boolean().optional(),
  })
  .refine((t) => Object.keys(t).length > 0, { message: 'nothing to change' });
export type UpdateTagRequest = z.infer<typeof UpdateTagRequest>;

export interface Tag {
  id: string;
  callId: string;
  offsetMs: number;
  endMs: number | null;
  label: string;
  note: string | null;
  leg: TagLeg;
  author: Author;
  createdAt: string;
  updatedAt: string;
  reviewedAt: string | null;
  reviewedBy: string | null;
  coachedAt: string | null;
  coachedBy: string | null;
}

/** `GET /api/v1/tags?label=&team=&agent=&from=&to=`: from/to bound when the tag was made. */
export const TagQuery = z.object({
  label: z.string().max(40).optional(),
  team: z.string().max(64).optional(),
  agent: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  coached: z.enum(['true', 'false']).optional(),
});
export type TagQuery = z.infer<typeof TagQuery>;

/** `GET /api/v1/recordings`: recorded calls for review, newest flag first. */
export const ReviewQuery = z.object({
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  center: z.string().max(64).optional(),
  team: z.string().max(64).optional(),
  agent: z.string().max(64).optional(),
  label: z.string().max(40).optional(),
  reviewed: z.enum(['true', 'false']).optional(),
});
export type ReviewQuery = z.infer<typeof ReviewQuery>;

export interface ReviewItem {
  callId: string;
  center: string;
  region: string;
  team: string;
  agent: { id: string; name: string };
  startedAt: string;
  endedAt: string;
  tagCount: number;
  labels: string[];
  lastTagAt: string | null;
  reviewedAt: string | null;
  reviewedBy: string | null;
}

export const ReviewRequest = z.strictObject({ reviewed: z.boolean() });

export const CreateCommentRequest = z.strictObject({
  body: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
  tagId: z.string().uuid().optional(),
});
export type CreateCommentRequest = z.infer<typeof CreateCommentRequest>;

export interface Comment {
  id: string;
  callId: string;
  tagId: string | null;
  author: Author;
  body: string;
  createdAt: string;
}

export interface CallReview {
  reviewedAt: string | null;
  reviewedBy: string | null;
  comments: Comment[];
}
