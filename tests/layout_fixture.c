/*
 * layout_fixture.c - structs whose layout test_target.c reads back from
 * this program's DWARF (built with -g): nesting through a named member of
 * a typedef'd union (as glibc's pthread_mutex_t wraps __pthread_mutex_s),
 * anonymous unions and structs, qualifiers, an enum, a pointer and a bit
 * field (which must be refused).
 */
#include <stddef.h>
#include <stdint.h>

struct fix_inner {
	int lock;		/* 0 */
	unsigned int count;	/* 4 */
	int owner;		/* 8 */
	unsigned int nusers;	/* 12 */
	int kind;		/* 16 */
};

typedef union {
	struct fix_inner data;
	char size[40];
	long align;
} fix_mutex_t;

enum fix_color { FIX_RED = -1, FIX_GREEN = 1 };

struct fix_anon {
	char tag;				/* 0 */
	union {					/* 8 */
		struct {
			uint16_t lo;		/* 8 */
			int8_t neg;		/* 10 */
		};
		uint64_t whole;			/* 8 */
	};
	const volatile int64_t *ptr;		/* 16 */
	volatile const short sh;		/* 24 */
	enum fix_color color;			/* 28 */
	unsigned bits : 3;			/* 32, a bit field */
};

/* Keep the types in the DWARF (a type no object uses may be dropped). */
fix_mutex_t fix_mutex;
struct fix_anon fix_anon;

int main(void)
{
	return (int)(offsetof(struct fix_anon, neg) + fix_mutex.data.kind +
		     fix_anon.tag);
}
