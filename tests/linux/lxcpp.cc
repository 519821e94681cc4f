// lxcpp: a static C++ program (g++ -static, libstdc++ and glibc), run natively
// and under kvmlet by tests/cli/cli_linux.sh and compared byte for byte: static
// constructors, exceptions thrown through several frames and rethrown, RTTI,
// containers, strings, iostreams and a destructor at exit.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Announce {
	explicit Announce(const char *what) : what_(what) { std::cout << "construct " << what_ << "\n"; }
	~Announce() { std::cout << "destroy " << what_ << std::endl; }
	const char *what_;
};

Announce global("global");

struct Shape {
	virtual ~Shape() = default;
	virtual double area() const = 0;
};

struct Square : Shape {
	explicit Square(double s) : s_(s) {}
	double area() const override { return s_ * s_; }
	double s_;
};

int depth(int n)
{
	if (n == 0)
		throw std::out_of_range("bottom reached");
	Announce frame("frame");
	return depth(n - 1) + 1;
}

} // namespace

int main(int argc, char **argv)
{
	std::map<std::string, int> counts;
	std::istringstream words("the quick brown fox jumps over the lazy dog the end");
	for (std::string w; words >> w;)
		counts[w]++;
	for (const auto &kv : counts)
		std::cout << kv.first << '=' << kv.second << ' ';
	std::cout << "\n";

	std::vector<int> v;
	for (int i = 0; i < 1000; i++)
		v.push_back((i * 7919) % 1009);
	std::sort(v.begin(), v.end());
	std::cout << "sorted " << v.front() << ".." << v.back() << " median " << v[500] << "\n";

	try {
		depth(3);
	} catch (const std::exception &e) {
		std::cout << "caught " << e.what() << "\n";
	}
	try {
		try {
			throw std::runtime_error("inner");
		} catch (...) {
			std::cout << "rethrowing\n";
			throw;
		}
	} catch (const std::runtime_error &e) {
		std::cout << "caught again " << e.what() << "\n";
	}

	std::unique_ptr<Shape> s(new Square(1.5));
	std::cout << "area " << std::fixed << std::setprecision(3) << s->area() << " is a "
		  << (dynamic_cast<Square *>(s.get()) ? "Square" : "?") << "\n";
	std::cout << "args " << argc - 1 << (argc > 1 ? std::string(" ") + argv[1] : "") << "\n";
	return 3;
}
