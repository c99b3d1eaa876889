#define LB_VERSION "be6c0bc-dirty"
