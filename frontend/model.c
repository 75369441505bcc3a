#include "frontend.h"
