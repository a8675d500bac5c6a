#include "app.h"

int main(int argc, char** argv)
{
    return zenithctl::run(argc, argv);
}
