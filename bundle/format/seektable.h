#ifndef LADING_BUNDLE_FORMAT_SEEKTABLE_H
#define LADING_BUNDLE_FORMAT_SEEKTABLE_H

/*
 * The zstd seekable format's seek table (SPECS §6.2, facebook/zstd
 * contrib/seekable_format): a skippable frame at the end of a bundle listing
 * every zstd frame before it (compressed size, decompressed size, low 32 bits
 * of XXH64 of its content), so a reader can find and decompress one frame
 * without the others. Parsing trusts no size: every count is bounded by the
 * bytes actually there and every sum is overflow-checked.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

#define SEEKTABLE_MAGIC 0x184D2A5Eu	   /* the skippable frame holding the table */
#define SEEKTABLE_FOOTER_MAGIC 0x8F92EAB1u /* the file's last 4 bytes */
#define SEEKTABLE_HEADER_SIZE 8u	   /* magic, Frame_Size */
#define SEEKTABLE_FOOTER_SIZE 9u	   /* Number_Of_Frames, descriptor, footer magic */
#define SEEKTABLE_CHECKSUM_FLAG 0x80u
#define SEEKTABLE_MAX_FRAMES 0x8000000u	       /* the format's limit */
#define SEEKTABLE_MAX_FRAME_CONTENT (1u << 30) /* decompressed bytes per frame, the format's limit */
/* seektable_read_fd holds the table in memory: this caps it (1.4M frames, over a TiB of bundle). */
#define SEEKTABLE_READ_MAX (16u << 20)

struct seektable_frame {
	uint32_t compressed;   /* the frame's whole size in the file */
	uint32_t decompressed; /* its content's size */
	uint32_t checksum;     /* low 32 bits of XXH64 (seed 0) of its content; 0 without checksums */
};

struct seektable {
	struct seektable_frame *frames;
	size_t count;
	int has_checksums;
	uint64_t compressed_total;   /* where the table starts in its file */
	uint64_t decompressed_total; /* the content's size */
};

/* Bytes of the skippable frame holding a table of count frames (header and footer included). */
uint64_t seektable_size(uint64_t count, int has_checksums);

/*
 * Parses one whole table frame, buf[0 .. len): magic, Frame_Size equal to
 * len - 8, footer magic, reserved and unused descriptor bits 0, frame count
 * matching the size, each frame's content at most 1 GiB. base is the file
 * offset of buf[0], for messages. Fills t (seektable_free) only on success;
 * fails with LADING_ERR_FORMAT naming the offset of what is wrong.
 */
int seektable_parse(const void *buf, size_t len, uint64_t base, struct seektable *t, struct lerr *err);

/*
 * Reads the table at the end of fd (a regular file; name for messages): 1
 * with t filled when the file ends with the footer magic and the table is
 * sound and its frames' sizes add up to exactly where it starts; 0 when the
 * file does not end with the footer magic (no table: a v1 bundle); -1 when
 * the table is truncated, lies, or is larger than SEEKTABLE_READ_MAX.
 * Never reads outside the file.
 */
int seektable_read_fd(int fd, const char *name, struct seektable *t, struct lerr *err);

/*
 * Reads the table frame that starts at offset in fd, with available bytes
 * from there to the end of the file, for a file whose max_frames frames were
 * already read (the table may not be larger than they need). 1 with t filled
 * (its size is seektable_size(t->count, t->has_checksums)); 0 when no table
 * magic is at offset; -1 when the table is truncated, too large or malformed.
 */
int seektable_read_at(int fd, const char *name, uint64_t offset, uint64_t available, uint64_t max_frames,
		      struct seektable *t, struct lerr *err);

/* Appends the table frame describing frames[0 .. count) to out (count at most SEEKTABLE_MAX_FRAMES). */
void seektable_append(struct buf *out, const struct seektable_frame *frames, size_t count, int has_checksums);

/* Frees what t holds and zeroes it; accepts a zeroed table. */
void seektable_free(struct seektable *t);

#endif
