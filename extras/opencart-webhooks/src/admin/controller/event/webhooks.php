<?php
/**
 * ocdata webhooks, admin side: products added or edited, customers added in the admin.
 */
namespace Opencart\Admin\Controller\Extension\OcdataWebhooks\Event;

require_once DIR_EXTENSION . 'ocdata_webhooks/system/library/sender.php';

class Webhooks extends \Opencart\System\Engine\Controller {
	/** fields whose change is reported in product.updated's `changed` */
	public const FIELDS = ['model', 'sku', 'price', 'quantity', 'status', 'tax_class_id', 'weight', 'weight_class_id'];

	/** @var array<int, array<string, mixed>> product id => row before this request's edit */
	private static array $before = [];

	public function productBefore(string &$route, array &$args): void {
		$product_id = (int)($args[0] ?? 0);

		if ($product_id && $this->sender()) {
			$this->load->model('catalog/product');

			self::$before[$product_id] = $this->model_catalog_product->getProduct($product_id);
		}
	}

	public function productAfter(string &$route, array &$args, &$output): void {
		$product_id = (int)($args[0] ?? 0);
		$before = self::$before[$product_id] ?? [];
		unset(self::$before[$product_id]);

		$this->product($product_id, $before, false);
	}

	public function productAdded(string &$route, array &$args, &$output): void {
		$this->product((int)$output, [], true);
	}

	public function customerAfter(string &$route, array &$args, &$output): void {
		$customer_id = (int)$output;
		$sender = $this->sender();

		if (!$customer_id || !$sender) {
			return;
		}

		$sender->send('customer.registered', $this->store(),
			\Ocdata\Webhooks\Sender::customerData($customer_id, (array)($args[0] ?? []), []));
	}

	private function product(int $product_id, array $before, bool $added): void {
		$sender = $this->sender();

		if (!$product_id || !$sender) {
			return;
		}

		$this->load->model('catalog/product');

		$product = $this->model_catalog_product->getProduct($product_id);

		if (!$product) {
			return;
		}

		$changed = [];

		if (!$added) {
			foreach (self::FIELDS as $field) {
				if ((string)($before[$field] ?? '') !== (string)($product[$field] ?? '')) {
					$changed[] = $field;
				}
			}

			if (!$changed) {
				return; // saved without a change an analyst would see
			}
		}

		$sender->send('product.updated', $this->store(), [
			'product_id'      => $product_id,
			'model'           => (string)$product['model'],
			'sku'             => (string)$product['sku'],
			'price'           => \Ocdata\Webhooks\Sender::money($product['price']),
			'quantity'        => (int)$product['quantity'],
			'status'          => (bool)$product['status'],
			'tax_class_id'    => (int)$product['tax_class_id'],
			'weight'          => \Ocdata\Webhooks\Sender::money($product['weight']),
			'weight_class_id' => (int)$product['weight_class_id'],
			'changed'         => $changed,
		]);
	}

	private function store(): array {
		return [
			'url'      => defined('HTTP_CATALOG') ? (string)HTTP_CATALOG : '',
			'store_id' => 0,
			'version'  => VERSION,
		];
	}

	private function sender(): ?\Ocdata\Webhooks\Sender {
		return \Ocdata\Webhooks\Sender::fromConfig($this->config, DIR_STORAGE);
	}
}
