// heap_types.cc - a heap whose top size classes hold known things, for the
// heap statistics' naming of what allocations hold (tests/e2e/heap_stats.py).
//
//   heap_types [abort|wait]
//
// Allocates and keeps:
//   NORDERS Order objects (a class with virtual functions: its first word
//     is the vtable pointer, so the class is named from `vtable for Order`),
//     each 200 bytes of object (a 208-byte chunk);
//   NSTRINGS std::string buffers of 300 characters of 'x' (operator new of
//     301 bytes: a 320-byte chunk);
//   NJSON malloc'd buffers of JSON text of 700 bytes (a 720-byte chunk).
// then prints "ready" and either aborts (a kernel core) or waits (gcore).
// The counts are distinct and large enough to be the top classes by count
// and by bytes whatever the C++ runtime allocated at start.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

enum { NORDERS = 3000, NSTRINGS = 2000, NJSON = 1000 };

class Order {
public:
	Order(int id) : id_(id) { std::memset(lines_, 0, sizeof(lines_)); }
	virtual ~Order() {}
	virtual int total() const { return id_ * 2; }

private:
	int id_;
	char lines_[184];	// 8 (vptr) + 4 + pad + 184 = 200 bytes
};

static std::vector<Order *> orders;
static std::vector<std::string> strings;
static std::vector<char *> json;

int main(int argc, char **argv)
{
	bool abort_it = argc > 1 && !std::strcmp(argv[1], "abort");
	static_assert(sizeof(Order) == 200, "Order is 200 bytes");
	orders.reserve(NORDERS);
	strings.reserve(NSTRINGS);
	json.reserve(NJSON);
	for (int i = 0; i < NORDERS; i++)
		orders.push_back(new Order(i));
	for (int i = 0; i < NSTRINGS; i++)
		strings.push_back(std::string(300, 'x'));
	for (int i = 0; i < NJSON; i++) {
		char *p = static_cast<char *>(std::malloc(700));
		int n = std::snprintf(p, 700, "{\"user\":\"user%d\",\"cart\":[", i);
		while (n < 680)
			n += std::snprintf(p + n, 700 - n, "%d,", n);
		p[n - 1] = ']';
		json.push_back(p);
	}
	std::printf("orders %d 200\nstrings %d 301\njson %d 700\nready\n",
		    NORDERS, NSTRINGS, NJSON);
	std::fflush(stdout);
	if (abort_it)
		std::abort();
	for (;;)
		pause();
}
