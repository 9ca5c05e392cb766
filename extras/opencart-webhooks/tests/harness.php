<?php
/**
 * A small stand-in for the parts of OpenCart 4.x the extension touches, to run its code with
 * php-cli: `php harness.php SCENARIO.json` prints a JSON report.
 *
 * The scenario gives VERSION, the settings, fixture rows for the models (orders, their
 * products and totals, products) and the calls to make, in order; the report lists the
 * events install() registered, what uninstall() deleted, each call's result and the queue.
 * Deliveries really go over HTTP to the URL in the settings (the tests run ocdata's receiver).
 */

namespace Opencart\System\Engine {
	class Registry {
		private array $data = [];

		public function get(string $key): mixed {
			return $this->data[$key] ?? null;
		}

		public function set(string $key, mixed $value): void {
			$this->data[$key] = $value;
		}
	}

	abstract class Controller {
		public function __construct(protected Registry $registry) {
		}

		public function __get(string $key): mixed {
			return $this->registry->get($key);
		}
	}
}

namespace Harness {
	class Config {
		public function __construct(private array $values) {
		}

		public function get(string $key): mixed {
			return $this->values[$key] ?? null;
		}
	}

	class User {
		public function hasPermission(string $kind, string $route): bool {
			return true;
		}
	}

	/** Records what the extension asks of OpenCart's models, answers from the fixtures. */
	class Models {
		public array $log = [];

		public function __construct(public array $fixtures) {
		}

		// setting/event
		public function addEvent(array $data): int {
			$this->log[] = ['addEvent', $data];

			return count($this->log);
		}

		public function deleteEventByCode(string $code): void {
			$this->log[] = ['deleteEventByCode', $code];
		}

		// setting/setting
		public function deleteSetting(string $code): void {
			$this->log[] = ['deleteSetting', $code];
		}

		// checkout/order
		public function getOrder(int $order_id): array {
			return $this->fixtures['orders'][(string)$order_id] ?? [];
		}

		public function getProducts(int $order_id): array {
			return $this->fixtures['order_products'][(string)$order_id] ?? [];
		}

		public function getTotals(int $order_id): array {
			return $this->fixtures['order_totals'][(string)$order_id] ?? [];
		}

		// catalog/product (admin)
		public function getProduct(int $product_id): array {
			return $this->fixtures['products'][(string)$product_id] ?? [];
		}
	}

	class Loader {
		public function __construct(private \Opencart\System\Engine\Registry $registry, private Models $models) {
		}

		public function model(string $route): void {
			$this->registry->set('model_' . str_replace('/', '_', $route), $this->models);
		}
	}
}

namespace {
	$scenario = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);

	define('VERSION', $scenario['version']);
	define('DIR_EXTENSION', rtrim($scenario['dir_extension'], '/') . '/');
	define('DIR_STORAGE', rtrim($scenario['dir_storage'], '/') . '/');
	define('HTTP_SERVER', 'http://shop.test/');
	define('HTTP_CATALOG', 'http://shop.test/');

	$src = DIR_EXTENSION . 'ocdata_webhooks/';
	require $src . 'catalog/controller/event/webhooks.php';
	require $src . 'admin/controller/event/webhooks.php';
	require $src . 'admin/controller/module/ocdata_webhooks.php';

	$models = new Harness\Models($scenario['fixtures'] ?? []);
	$registry = new Opencart\System\Engine\Registry();
	$registry->set('config', new Harness\Config($scenario['settings'] ?? []));
	$registry->set('user', new Harness\User());
	$registry->set('load', new Harness\Loader($registry, $models));

	$controllers = [
		'catalog' => new Opencart\Catalog\Controller\Extension\OcdataWebhooks\Event\Webhooks($registry),
		'admin'   => new Opencart\Admin\Controller\Extension\OcdataWebhooks\Event\Webhooks($registry),
		'module'  => new Opencart\Admin\Controller\Extension\OcdataWebhooks\Module\OcdataWebhooks($registry),
	];

	$results = [];

	foreach ($scenario['calls'] as $call) {
		[$side, $method] = explode('.', $call['action']);
		$route = $call['route'] ?? '';
		$args = $call['args'] ?? [];
		$output = $call['output'] ?? null;

		if (isset($call['fixtures'])) {  // the store changes between calls (a product edited, a status set)
			$models->fixtures = array_replace_recursive($models->fixtures, $call['fixtures']);
		}

		if ($method === 'validate') {
			$results[] = Opencart\Admin\Controller\Extension\OcdataWebhooks\Module\OcdataWebhooks::validate($args);
		} elseif (in_array($method, ['install', 'uninstall'], true)) {
			$controllers[$side]->{$method}();
			$results[] = null;
		} elseif (str_ends_with($method, 'Before')) {
			$controllers[$side]->{$method}($route, $args);
			$results[] = null;
		} else {
			$controllers[$side]->{$method}($route, $args, $output);
			$results[] = null;
		}
	}

	echo json_encode([
		'log'     => $models->log,
		'results' => $results,
		'queue'   => array_map('basename', glob(DIR_STORAGE . 'ocdata_webhooks/queue/*.json') ?: []),
	], JSON_PRETTY_PRINT), "\n";
}
