/*  gridnet-district -- the level-1 daemon. Everything it does lives in common/;
    the level decides which links it has and which duties apply.  */
#include "node.h"

int
main(int argc, char **argv)
{
    return gn_node_main(argc, argv, 1);
}
