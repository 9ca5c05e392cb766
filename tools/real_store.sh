#!/usr/bin/env bash
# A real OpenCart 4.1.0.4 store on this machine, to check ocdata's oc41 dialect against (not run by the tests).
#
# Installs OpenCart 4.1.0.4 from a git mirror of opencart/opencart (never from this repository: the project
# holds no OpenCart code), with its own MariaDB server (own datadir, socket and port under $OC_DIR, not the
# system service), runs OpenCart's CLI installer with the en-gb demo data, then writes the rows the admin pages
# would write for the reference store's "rich" configuration (tests/recordings/oc41/rich-store.md: flat, weight,
# item, free and pickup shipping; bank transfer, cheque, COD; US Shipping / US California geo zones and the
# California 8.25 % rate; VAT/Eco Tax for groups 1 and 3; Wholesale specials/breaks on 33 and 48), plus an
# enabled 10 % coupon OCDATA10 (not in rich-store.md) so the coupon path can be checked. Finally serves the
# store with PHP's built-in server.
#
#   OC_MIRROR=/work/.mirror/opencart+opencart/repo tools/real_store.sh start   # install (first time) and serve
#   tools/real_store.sh stop                                                   # stop both servers
#   tools/real_store.sh env                                                    # print OC41_URL/USER/KEY lines
#
# Needs: php8.2-cli php8.2-mysql php8.2-gd php8.2-curl php8.2-zip php8.2-mbstring php8.2-xml mariadb-server.
# Settings (environment): OC_DIR (/tmp/oc41-real), OC_HTTP_PORT (8141), OC_DB_PORT (33141), OC_TAG (4.1.0.4),
# OC_API_KEY (a fixed, local-only test key: the store listens on 127.0.0.1 only).
# Then e.g.: ocdata.connect("http://127.0.0.1:8141/", "Default", "$OC_API_KEY", dialect="oc41").
set -euo pipefail

OC_MIRROR=${OC_MIRROR:-/work/.mirror/opencart+opencart/repo}
OC_TAG=${OC_TAG:-4.1.0.4}
OC_DIR=${OC_DIR:-/tmp/oc41-real}
OC_HTTP_PORT=${OC_HTTP_PORT:-8141}
OC_DB_PORT=${OC_DB_PORT:-33141}
OC_API_KEY=${OC_API_KEY:-ocdata-local-test-key-not-a-secret-0123456789}
DB="oc41"
URL="http://127.0.0.1:${OC_HTTP_PORT}/"
SOCK="$OC_DIR/db/mysqld.sock"

sql() { mariadb --no-defaults -uroot --socket="$SOCK" "$DB" "$@"; }

start_db() {
  mkdir -p "$OC_DIR/db"
  if [ ! -d "$OC_DIR/db/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$OC_DIR/db/data" --auth-root-authentication-method=normal \
      --skip-test-db --user=root >"$OC_DIR/db/install.log" 2>&1
  fi
  if [ -f "$OC_DIR/db/mariadbd.pid" ] && kill -0 "$(cat "$OC_DIR/db/mariadbd.pid")" 2>/dev/null; then return; fi
  mariadbd --no-defaults --datadir="$OC_DIR/db/data" --socket="$SOCK" --port="$OC_DB_PORT" --bind-address=127.0.0.1 \
    --user=root --pid-file="$OC_DIR/db/mariadbd.pid" --log-error="$OC_DIR/db/error.log" --skip-log-bin \
    --innodb-buffer-pool-size=64M --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    >/dev/null 2>&1 &
  for _ in $(seq 100); do
    mariadb --no-defaults -uroot --socket="$SOCK" -e "SELECT 1" >/dev/null 2>&1 && return
    sleep 0.2
  done
  echo "mariadbd did not start: $(tail -5 "$OC_DIR/db/error.log")" >&2; exit 1
}

install_store() {
  [ -f "$OC_DIR/installed" ] && return
  rm -rf "$OC_DIR/upload"
  # (a mirror may lack large blobs outside upload/: git names them on stderr but archives upload/ whole)
  git --git-dir="$OC_MIRROR" archive "$OC_TAG" upload 2>/dev/null | tar -x -C "$OC_DIR"
  [ -f "$OC_DIR/upload/install/cli_install.php" ] || { echo "no OpenCart $OC_TAG in $OC_MIRROR" >&2; exit 1; }
  touch "$OC_DIR/upload/config.php" "$OC_DIR/upload/admin/config.php"
  mariadb --no-defaults -uroot --socket="$SOCK" -e "
    DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4;
    CREATE USER IF NOT EXISTS 'oc'@'127.0.0.1' IDENTIFIED BY 'ocpass';
    GRANT ALL ON $DB.* TO 'oc'@'127.0.0.1';"
  (cd "$OC_DIR/upload" && php install/cli_install.php install --username admin --password adminpass \
    --email admin@example.com --http_server "$URL" --language en-gb --db_driver mysqli \
    --db_hostname 127.0.0.1 --db_username oc --db_password ocpass --db_database "$DB" \
    --db_port "$OC_DB_PORT" --db_prefix oc_) | tail -3
  # what the admin pages store: API key and allow-list, then the rich-store configuration
  sql <<SQL
UPDATE oc_api SET \`key\` = '$OC_API_KEY', status = 1 WHERE username = 'Default';
INSERT INTO oc_api_ip (api_id, ip) SELECT api_id, '127.0.0.1' FROM oc_api WHERE username = 'Default';
DELETE FROM oc_setting WHERE store_id = 0 AND \`key\` IN ('config_error_display', 'config_checkout_payment_address');
INSERT INTO oc_setting (store_id, code, \`key\`, value, serialized) VALUES
  (0, 'config', 'config_error_display', '1', 0), (0, 'config', 'config_checkout_payment_address', '1', 0);

-- shipping: weight, item, free, pickup next to flat
INSERT INTO oc_extension (extension, type, code) VALUES
  ('opencart', 'shipping', 'item'), ('opencart', 'shipping', 'weight'), ('opencart', 'shipping', 'free'),
  ('opencart', 'shipping', 'pickup'), ('opencart', 'payment', 'cheque'), ('opencart', 'payment', 'bank_transfer');
DELETE FROM oc_setting WHERE store_id = 0 AND (code IN ('shipping_item', 'shipping_weight', 'shipping_free',
  'shipping_pickup', 'payment_cheque', 'payment_bank_transfer', 'payment_cod', 'shipping_flat'));
INSERT INTO oc_setting (store_id, code, \`key\`, value, serialized) VALUES
  (0, 'shipping_flat', 'shipping_flat_cost', '5.00', 0), (0, 'shipping_flat', 'shipping_flat_tax_class_id', '9', 0),
  (0, 'shipping_flat', 'shipping_flat_geo_zone_id', '0', 0), (0, 'shipping_flat', 'shipping_flat_status', '1', 0),
  (0, 'shipping_flat', 'shipping_flat_sort_order', '1', 0),
  (0, 'shipping_weight', 'shipping_weight_tax_class_id', '9', 0), (0, 'shipping_weight', 'shipping_weight_status', '1', 0),
  (0, 'shipping_weight', 'shipping_weight_sort_order', '2', 0),
  (0, 'shipping_weight', 'shipping_weight_4_rate', '1:4.00,5:8.00,10:12.00,100:30.00', 0),
  (0, 'shipping_weight', 'shipping_weight_4_status', '1', 0),
  (0, 'shipping_weight', 'shipping_weight_5_rate', '1:6.00,5:11.00,10:18.00,100:45.00', 0),
  (0, 'shipping_weight', 'shipping_weight_5_status', '1', 0),
  (0, 'shipping_weight', 'shipping_weight_3_rate', '', 0), (0, 'shipping_weight', 'shipping_weight_3_status', '0', 0),
  (0, 'shipping_weight', 'shipping_weight_6_rate', '', 0), (0, 'shipping_weight', 'shipping_weight_6_status', '0', 0),
  (0, 'shipping_item', 'shipping_item_cost', '2.50', 0), (0, 'shipping_item', 'shipping_item_tax_class_id', '9', 0),
  (0, 'shipping_item', 'shipping_item_geo_zone_id', '0', 0), (0, 'shipping_item', 'shipping_item_status', '1', 0),
  (0, 'shipping_item', 'shipping_item_sort_order', '3', 0),
  (0, 'shipping_free', 'shipping_free_total', '200.00', 0), (0, 'shipping_free', 'shipping_free_geo_zone_id', '4', 0),
  (0, 'shipping_free', 'shipping_free_status', '1', 0), (0, 'shipping_free', 'shipping_free_sort_order', '4', 0),
  (0, 'shipping_pickup', 'shipping_pickup_geo_zone_id', '0', 0), (0, 'shipping_pickup', 'shipping_pickup_status', '1', 0),
  (0, 'shipping_pickup', 'shipping_pickup_sort_order', '5', 0),
  (0, 'payment_bank_transfer', 'payment_bank_transfer_bank_1', 'Example Bank plc, Sort code 12-34-56.', 0),
  (0, 'payment_bank_transfer', 'payment_bank_transfer_order_status_id', '1', 0),
  (0, 'payment_bank_transfer', 'payment_bank_transfer_geo_zone_id', '0', 0),
  (0, 'payment_bank_transfer', 'payment_bank_transfer_status', '1', 0),
  (0, 'payment_bank_transfer', 'payment_bank_transfer_sort_order', '2', 0),
  (0, 'payment_cheque', 'payment_cheque_payable', 'Your Store Ltd', 0),
  (0, 'payment_cheque', 'payment_cheque_order_status_id', '1', 0),
  (0, 'payment_cheque', 'payment_cheque_geo_zone_id', '4', 0), (0, 'payment_cheque', 'payment_cheque_status', '1', 0),
  (0, 'payment_cheque', 'payment_cheque_sort_order', '3', 0),
  (0, 'payment_cod', 'payment_cod_sort_order', '5', 0), (0, 'payment_cod', 'payment_cod_geo_zone_id', '0', 0),
  (0, 'payment_cod', 'payment_cod_status', '1', 0), (0, 'payment_cod', 'payment_cod_order_status_id', '1', 0),
  (0, 'payment_cod', 'payment_cod_total', '0.01', 0);

-- geo zones 5 US Shipping, 6 US California; CA Sales Tax 8.25 %; VAT/Eco Tax also for Wholesale (3)
INSERT INTO oc_geo_zone (geo_zone_id, name, description) VALUES
  (5, 'US Shipping', 'US Shipping Zones'), (6, 'US California', 'California sales tax');
INSERT INTO oc_zone_to_geo_zone (country_id, zone_id, geo_zone_id) VALUES (223, 0, 5), (223, 3624, 6);
INSERT INTO oc_tax_rate (tax_rate_id, geo_zone_id, name, rate, type) VALUES (88, 6, 'CA Sales Tax 8.25%', 8.2500, 'P');
DELETE FROM oc_tax_rate_to_customer_group WHERE tax_rate_id IN (86, 87, 88);
INSERT INTO oc_tax_rate_to_customer_group (tax_rate_id, customer_group_id) VALUES
  (86, 1), (86, 3), (87, 1), (87, 3), (88, 1), (88, 3);
DELETE FROM oc_tax_rule WHERE tax_class_id = 9;
INSERT INTO oc_tax_rule (tax_class_id, tax_rate_id, based, priority) VALUES
  (9, 86, 'shipping', 1), (9, 87, 'shipping', 2), (9, 88, 'shipping', 1);

-- Wholesale prices (4.1.0.4 keeps specials and quantity breaks in oc_product_discount)
INSERT INTO oc_product_discount (product_id, customer_group_id, quantity, priority, price, type, special,
  date_start, date_end) VALUES
  (48, 3, 1, 1, 90.00, 'F', 1, '0000-00-00', '0000-00-00'), (48, 3, 5, 1, 80.00, 'F', 0, '0000-00-00', '0000-00-00'),
  (33, 3, 1, 1, 20.00, 'S', 1, '0000-00-00', '0000-00-00'), (33, 3, 3, 1, 15.00, 'P', 0, '0000-00-00', '0000-00-00');

-- Wholesale may be chosen by a guest at the storefront checkout, without approval (only registration is
-- gated by it; prices are not), so tools/oc41_checkout_compare.py can price both groups there
UPDATE oc_setting SET value = '["1","3"]' WHERE \`key\` = 'config_customer_group_display';
UPDATE oc_customer_group SET approval = 0 WHERE customer_group_id = 3;

-- an enabled coupon (10 % off the sub-total, no date limits)
INSERT INTO oc_coupon (name, code, type, discount, logged, shipping, total, date_start, date_end, uses_total,
  uses_customer, status, date_added) VALUES
  ('ocdata 10%', 'OCDATA10', 'P', 10.0000, 0, 0, 0.0000, '2020-01-01', '2099-12-31', 100000, 100000, 1, NOW());
SQL
  touch "$OC_DIR/installed"
}

serve() {
  if [ -f "$OC_DIR/php.pid" ] && kill -0 "$(cat "$OC_DIR/php.pid")" 2>/dev/null; then return; fi
  (cd "$OC_DIR/upload" && exec php -S "127.0.0.1:$OC_HTTP_PORT" -t . >"$OC_DIR/php.log" 2>&1) &
  echo $! >"$OC_DIR/php.pid"
  for _ in $(seq 50); do curl -s -o /dev/null "$URL" && break; sleep 0.2; done
}

case "${1:-start}" in
  start) mkdir -p "$OC_DIR"; start_db; install_store; serve; echo "OpenCart $OC_TAG at $URL (API user Default)";;
  stop)
    for f in "$OC_DIR/php.pid" "$OC_DIR/db/mariadbd.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done;;
  env) echo "OC41_URL=$URL"; echo "OC41_USER=Default"; echo "OC41_KEY=$OC_API_KEY";;
  *) echo "usage: $0 start|stop|env" >&2; exit 2;;
esac
